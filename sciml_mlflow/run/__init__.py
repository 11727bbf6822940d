"""The run: one benchmark as one MLflow run, in four steps (the top floor of the house).

- ``prepare`` (prepare.py): everything that can be refused is checked before a run exists;
- ``start`` (lifecycle.py): the run starts and its identity (params, config, tags) is written first;
- ``execute`` (lifecycle.py): data is staged and the entry point runs inside the telemetry session;
- ``finish_run`` (lifecycle.py): whatever happened, metrics are flushed and the run ends FINISHED, FAILED
  (traceback artifact) or KILLED — never left RUNNING.

``run_benchmark(cfg)`` (runner.py) chains them; ``build_context`` (context.py) and ``experiment_name``
(naming.py) are shared with the DDP worker, the sweep callback and the HPO driver.
"""

from sciml_mlflow.run.context import build_context, target_of
from sciml_mlflow.run.naming import ensure_run_experiment, experiment_name
from sciml_mlflow.run.result import RunResult
from sciml_mlflow.run.runner import run_benchmark

__all__ = ["RunResult", "build_context", "ensure_run_experiment", "experiment_name", "run_benchmark", "target_of"]
