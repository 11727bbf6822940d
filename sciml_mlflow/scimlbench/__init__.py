"""SciMLBench benchmarks, run unmodified as sciml_mlflow benchmarks.

A SciMLBench (stfc-sciml/sciml-bench) benchmark is a folder ``benchmarks/<name>/`` whose ``<name>.py``
defines ``sciml_bench_training(params_in, params_out)`` and/or ``sciml_bench_inference(params_in,
params_out)``.  This package gives such a module what its API promises (``params_in.dataset_dir``,
``bench_args.try_get``, ``params_out.log.subproc``, ``params_out.system.stamp_event`` ...) and turns each
call into an MLflow record through the ordinary ``RunContext``: phases, metrics and artifacts.  The
mapping is documented in docs/scimlbench.md; nothing here is copied from SciMLBench, it is written
from its documented API.

Nouns: ``spec`` (discovery), ``params_in`` (inputs, bench args), ``logger`` (multi-level loggers),
``journal`` (where a run's log lines, phases and events go), ``params_out`` (loggers + monitor),
``results`` (numbers in result files -> metrics), ``adapter`` (one call = one entry point),
``shim`` (``import sciml_bench.core.runtime`` without SciMLBench installed), ``cards`` (Hydra nodes for
card-less benchmarks and free-form bench-arg overrides).
"""

from sciml_mlflow.core import registry as _registry
from sciml_mlflow.scimlbench.spec import SciMLBenchSpec, is_scimlbench_folder

_registry.register_folder_kind(is_scimlbench_folder, SciMLBenchSpec)  # discovery sees SciMLBench folders
