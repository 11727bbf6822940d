"""Distributed data-parallel (DDP) runs through torch's elastic launcher (``torch.distributed.run``).

- ``wanted(cfg)`` / ``plan(cfg)``: whether and how a run spreads over processes (plan.py);
- ``run_distributed(...)``: the launching side, a drop-in for ``sciml_mlflow.run.run_benchmark`` (launch.py);
- ``worker``: what each rank runs; rank 0 owns the MLflow run, the others attach to it (worker.py);
- ``world()``, ``wrap_model()``, ``sampler()``, ``all_reduce_mean()``: what benchmarks call to train
  data-parallel, no-ops in a single-process run (they live in ``sciml_mlflow.training.ddp``; ``training.fit``
  wraps the model itself).

Nothing here imports torch at module import, so the CLI stays fast.
"""

from sciml_mlflow.distributed.launch import run_distributed
from sciml_mlflow.distributed.plan import WorldPlan, plan, wanted
from sciml_mlflow.training.ddp import World, all_reduce_mean, sampler, world, wrap_model

__all__ = ["WorldPlan", "plan", "wanted", "run_distributed", "World", "world", "wrap_model", "sampler",
           "all_reduce_mean"]
