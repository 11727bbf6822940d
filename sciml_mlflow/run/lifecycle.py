"""Steps 2-4 of a run: ``start`` it, ``execute`` the benchmark inside telemetry, ``finish_run`` it.

``finish_run`` is the single place a run ends: every path (success, benchmark error, Ctrl-C, a failing
final flush) goes through it, so end-of-run handling (signals, hooks) is added there and only there.
"""

from __future__ import annotations

import logging
import shutil
import time
from dataclasses import dataclass
from typing import Any, Mapping, Optional, Sequence

from sciml_mlflow.run.context import build_context, flops_declaration, target_of
from sciml_mlflow.run.prepare import Prepared
from sciml_mlflow.run.record import identity_tags, record_dataset, record_identity
from sciml_mlflow.run.result import RunResult
from sciml_mlflow.tracking.metric_keys import TOTAL_TIME

log = logging.getLogger(__name__)


@dataclass
class Started:
    """A run that exists in the store: its id, its metric logger and when it started."""

    run_id: str
    metrics: Any  # tracking.metric_buffer.MetricLogger
    t_start: float


def start(p: Prepared, extra_tags: Optional[Mapping[str, str]] = None, overrides: Sequence[str] = ()) -> Started:
    """Start the MLflow run with its identity tags (``MLFLOW_RUN_ID`` resumes a run a DDP rank 0 created).

    Zombie runs of this store (no heartbeat for ``tracking.stale_after_s``) are ended first, cheaply; the
    metric logger journals every row on disk and beats the run's heartbeat.
    """
    import mlflow

    from sciml_mlflow.telemetry import START_RUN_KWARGS
    from sciml_mlflow.tracking import reconcile
    from sciml_mlflow.tracking.metric_buffer import MetricLogger
    from sciml_mlflow.tracking.run_name import run_name_for

    cfg = p.cfg
    run_name = cfg.run_name or run_name_for(p.spec.name, cfg.mode, int(cfg.seed), overrides)
    reconcile.at_run_start(p.client, cfg.tracking.stale_after_s)
    active = mlflow.start_run(experiment_id=p.experiment_id, run_name=run_name,
                              tags=identity_tags(cfg, p, extra_tags), **START_RUN_KWARGS)
    run_id = active.info.run_id
    return Started(run_id, MetricLogger.for_run(p.client, run_id, cfg.tracking.heartbeat_s), time.perf_counter())


def execute(p: Prepared, s: Started, overrides: Sequence[str] = ()) -> None:
    """Record params and config, stage the data, run the entry point inside the telemetry session and log
    the model and outputs.  Raises whatever the benchmark raised."""
    from sciml_mlflow.data.staging import stage_dataset
    from sciml_mlflow.telemetry import TelemetrySession, TelemetrySettings
    from sciml_mlflow.tracking.artifacts import log_artifacts_or_clean
    from sciml_mlflow.tracking.models import LOADED_WITH_TAG, RunModels
    from sciml_mlflow.training.seeding import seed_everything

    cfg, client = p.cfg, p.client
    record_identity(client, s.run_id, cfg, overrides, p.output_dir, p.compliance)
    session = TelemetrySession(TelemetrySettings.from_config(cfg.hardware.telemetry), client, s.run_id, s.metrics,
                               p.hardware, target_of(cfg))
    with session:
        flops = flops_declaration(cfg)
        if flops is not None:
            session.control.record_flops(flops.per_sample, rate_metric=flops.rate_metric)
        with session.phases.phase("data_staging"):
            ds = cfg.benchmark.dataset
            staged = stage_dataset(p.spec, ds.name, ds.scale, ds.root, bool(ds.get("accept_unrecorded", False)))
        record_dataset(client, s.run_id, staged, cfg.mode)
        if p.model_source is not None:
            p.model_source.download(p.model_dir)
        models = RunModels(p.model_dir)
        ctx = build_context(cfg, staged.path, p.output_dir, s.metrics, p.hardware.profile,
                            phases=session.phases, telemetry=session.control, model_dir=p.model_dir,
                            models=models)
        seed_everything(int(cfg.seed))
        session.start_clock()  # run_start: staging is not time-to-train
        p.entry(ctx)
        if cfg.mode == "inference":
            client.set_tag(s.run_id, LOADED_WITH_TAG, "mlflow.pytorch" if models.loaded else "raw files")
        with session.phases.phase("writing_outputs"):
            if cfg.mode == "train" and models.pending:
                with session.phases.phase("logging_model"):  # its cost: system/time_logging_model_s
                    models.flush(s.run_id)
            if cfg.mode == "train" and any(p.model_dir.iterdir()):
                log_artifacts_or_clean(client, s.run_id, str(p.model_dir), "model")
            art = p.output_dir / "artifacts"
            if art.is_dir() and any(art.iterdir()):
                log_artifacts_or_clean(client, s.run_id, str(art), "outputs")


def finish_run(p: Prepared, s: Started, status: str, error: Optional[BaseException]) -> RunResult:
    """End the run ``status`` (FINISHED/FAILED/KILLED): total time, final flush, rules' post-run hook, end.

    A failing final flush turns FINISHED into FAILED; nothing here leaves the run RUNNING.
    """
    import mlflow

    from sciml_mlflow import rules

    s.metrics.log(TOTAL_TIME, time.perf_counter() - s.t_start)
    try:
        s.metrics.close()
    except Exception as exc:  # the run must still end
        log.error("final metric flush of run %s failed: %s", s.run_id, exc)
        if status == "FINISHED":
            status, error = "FAILED", exc
    rules.after_run(p.cfg, p.client, s.run_id, status)  # MLLOG log from the store's history; never raises
    mlflow.end_run(status=status)
    shutil.rmtree(p.model_dir, ignore_errors=True)  # uploaded: the model lives in MLflow only
    return RunResult(s.run_id, p.experiment_id, status, p.cfg.tracking.uri, s.metrics.latest_all, error)
