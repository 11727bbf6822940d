"""What each DDP process runs (``python -m sciml_mlflow.distributed.worker <job dir>``, via the launcher).

Rank 0 owns the MLflow run: it creates the run, shares its id with the other ranks over the process
group, then runs the benchmark through the normal runner (``run_benchmark`` resumes the run through
MLflow's own ``MLFLOW_RUN_ID``), so params, config, rules, artifacts and status work exactly as in a
single-process run.  Other ranks run the same entry point against a context whose science metrics are
dropped (rank 0's are the run's) while their system metrics go into rank 0's run as
``system/rank_<r>/...`` (the telemetry scheme of sciml_mlflow.telemetry.rank).
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Any, Callable, Dict, Mapping, Optional

log = logging.getLogger("sciml_mlflow.distributed.worker")


class _DroppedMetrics:
    """Science-metric sink of ranks != 0: the run records rank 0's view only."""

    def log(self, name: str, value: float, step: int = 0) -> None:
        return None

    def log_dict(self, metrics: Mapping[str, float], step: int = 0) -> None:
        return None


class _SystemOnly:
    """Telemetry sink of ranks != 0: forwards this rank's samples (``system/rank_<r>/...``) to rank 0's run,
    drops the rest (science and its own phase times, which rank 0 logs: no listener fires and nothing is
    ``latest``)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def log(self, name: str, value: float, step: int = 0) -> None:
        if name.startswith("system/rank_"):
            self._inner.log(name, value, step)

    def log_dict(self, metrics: Mapping[str, float], step: int = 0) -> None:
        for k, v in metrics.items():
            self.log(k, v, step)

    def latest(self, name: str) -> Optional[float]:
        return None

    def add_listener(self, name: str, fn: Callable[[str, float, int], None]) -> None:
        return None

    def remove_listener(self, name: str, fn: Callable[[str, float, int], None]) -> None:
        return None


class _MetricsOnlyClient:
    """The MLflow client handed to a rank != 0 telemetry session: tags and artifacts describe the run as
    rank 0 sees it (its hardware fingerprint, ``telemetry.rank``...), so other ranks must not overwrite them;
    their metrics go through the metric sink."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def log_batch(self, run_id: str, metrics: Any = (), params: Any = (), tags: Any = (), synchronous: bool = True) -> None:
        if metrics:
            self._client.log_batch(run_id, metrics=list(metrics), synchronous=synchronous)

    def __getattr__(self, name: str) -> Any:
        if name.startswith(("log_artifact", "set_tag", "log_param", "log_text", "log_dict")):
            return lambda *a, **k: None
        return getattr(self._client, name)


def _create_run(cfg: Any, job: Dict[str, Any], world_size: int) -> str:
    from mlflow.entities import Param

    from sciml_mlflow.run.naming import ensure_run_experiment
    from sciml_mlflow.tracking import store

    client = store.connect(cfg.tracking.uri)
    exp_id = ensure_run_experiment(client, cfg)  # the runner's naming and artifact-root rule
    run = client.create_run(exp_id, tags=dict(job["extra_tags"]))  # type: ignore[attr-defined]
    params = {"world_size": world_size, "global_batch_size": int(cfg.benchmark.training.batch_size) * world_size,
              "nnodes": job["nnodes"], "nproc_per_node": job["nproc_per_node"], "dist_backend": job["backend"]}
    client.log_batch(run.info.run_id, params=[Param(k, str(v)) for k, v in params.items()])  # type: ignore[attr-defined]
    return str(run.info.run_id)


def _lead(cfg: Any, job: Dict[str, Any], job_dir: Path, run_id: str) -> None:
    from sciml_mlflow.run import run_benchmark

    os.environ["MLFLOW_RUN_ID"] = run_id  # start_run resumes the run this rank created (and unsets it)
    result: Dict[str, Any] = {"run_id": run_id}
    try:
        res = run_benchmark(cfg, Path(job["output_dir"]), job["overrides"], extra_tags=job["extra_tags"])
        result.update(experiment_id=res.experiment_id, status=res.status, metrics=res.metrics)
    except BaseException as exc:
        from mlflow.tracking import MlflowClient

        run = MlflowClient(tracking_uri=cfg.tracking.uri).get_run(run_id)
        result.update(experiment_id=run.info.experiment_id, status=run.info.status if run.info.status != "RUNNING"
                      else "FAILED", error=f"{type(exc).__name__}: {exc}"[:1000], metrics={})
        raise
    finally:
        tmp = job_dir / "result.json.tmp"
        tmp.write_text(json.dumps(result, default=str))
        tmp.replace(job_dir / "result.json")


def _follow(cfg: Any, job: Dict[str, Any], run_id: str, rank: int) -> None:
    import sciml_mlflow.scimlbench  # noqa: F401  (registers SciMLBench folders with discovery)
    from sciml_mlflow.core import registry
    from sciml_mlflow.data.staging import stage_dataset
    from sciml_mlflow.hardware.check import check_hardware
    from sciml_mlflow.run.context import build_context
    from sciml_mlflow.telemetry import TelemetrySession, TelemetrySettings
    from sciml_mlflow.tracking import store
    from sciml_mlflow.tracking.metric_buffer import MetricLogger
    from sciml_mlflow.training import seed_everything

    spec = registry.get(cfg.benchmark.name)
    entry = spec.entry_point(cfg.mode)
    hardware = check_hardware(cfg.hardware)
    client = store.connect(cfg.tracking.uri)
    staged = stage_dataset(spec, cfg.benchmark.dataset.name, cfg.benchmark.dataset.scale, cfg.benchmark.dataset.root,
                           bool(cfg.benchmark.dataset.get("accept_unrecorded", False)))
    sink = MetricLogger(client, run_id)
    try:
        # no target: rank 0 watches it; tags and artifacts are rank 0's (see _MetricsOnlyClient)
        with TelemetrySession(TelemetrySettings.from_config(cfg.hardware.telemetry), _MetricsOnlyClient(client),
                              run_id, _SystemOnly(sink), hardware) as session:
            ctx = build_context(cfg, staged.path, Path(job["output_dir"]) / f"rank_{rank}", _DroppedMetrics(),
                                hardware.profile, phases=session.phases, telemetry=session.control,
                                show_progress=False)
            seed_everything(int(cfg.seed))
            entry(ctx)
    finally:
        sink.close()


def main(job_dir: Path) -> int:
    import torch
    import torch.distributed as dist
    from omegaconf import OmegaConf

    logging.basicConfig(level=logging.INFO, format=f"[rank {os.environ.get('RANK', '?')}] %(levelname)s %(name)s: %(message)s")
    job = json.loads((job_dir / "job.json").read_text())
    cfg = OmegaConf.load(job_dir / "config.yaml")
    rank, local_rank = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    world_size = int(os.environ["WORLD_SIZE"])
    if job["backend"] == "nccl":
        torch.cuda.set_device(local_rank)
    dist.init_process_group(job["backend"])
    try:
        shared = [None]
        if rank == 0:
            shared = [_create_run(cfg, job, world_size)]
            (job_dir / "run_id").write_text(shared[0])
        dist.broadcast_object_list(shared, src=0)
        run_id = str(shared[0])
        if rank != 0 and (local_rank == 0 or job.get("launcher") == "srun"):  # srun: every task reads it
            (job_dir / "run_id").write_text(run_id)  # node-local copy for this node's launcher
        if rank == 0:
            _lead(cfg, job, job_dir, run_id)
        else:
            _follow(cfg, job, run_id, rank)
    finally:
        dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
