"""The Hydra callback that groups a multirun's jobs under one parent MLflow run.

Configured in ``conf/config.yaml`` (``hydra.callbacks.sweep``).  Hook by hook:

- ``on_multirun_start`` (launching process): initialise the store once, open the parent run;
- ``on_job_start`` (job process, whichever launcher): record which job this is, drop ``MLFLOW_RUN_ID``;
- ``on_job_end`` (job process): write the job's record (status, error, target metric);
- ``on_multirun_end`` (launching process): close the parent FINISHED/FAILED with the summary table.
  Hydra skips it when a job failed under the basic sweeper; the CLI's ``finally`` then calls
  ``parent.close_open_sweeps()``.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any, Optional

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from sciml_mlflow.sweep import job as sweep_job

log = logging.getLogger(__name__)


def _sweeps_benchmark(overrides: Any) -> bool:
    """True when the command line sweeps over ``benchmark`` (its jobs then land in several experiments)."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parsed = OverridesParser.create().parse_overrides([str(o) for o in overrides])
    return any(o.key_or_group == "benchmark" and o.is_sweep_override() for o in parsed)


class SweepCallback(Callback):
    """Parent run, job tags, job records and the summary of a Hydra multirun."""

    def __init__(self, experiment: Optional[str] = None) -> None:
        self.experiment = experiment  # parent's experiment; None: the benchmark's, or "sweeps" across benchmarks
        self.sweep_id: Optional[str] = None
        self.parent_run_id: Optional[str] = None
        self.records_dir: Optional[str] = None
        self._sweep: Any = None

    # -- launching process ---------------------------------------------------------------------
    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        from sciml_mlflow.sweep import pool
        from sciml_mlflow.sweep.parent import SweepRun

        pool.start_for(config)  # the warm pool's imports overlap the parent run's opening

        overrides = list(OmegaConf.select(config, "hydra.overrides.task", default=[]) or [])
        from sciml_mlflow.run.naming import experiment_name

        name = experiment_name(config, self.experiment or ("sweeps" if _sweeps_benchmark(overrides) else None))
        sweep_dir = Path(str(config.hydra.sweep.dir))
        self._sweep = SweepRun.open(config.tracking.uri, name, config.tracking.artifact_root,
                                    sweep_dir / ".sweep", overrides, run_name=f"sweep-{config.benchmark.name}",
                                    heartbeat_s=float(OmegaConf.select(config, "tracking.heartbeat_s", default=60.0)))
        self.sweep_id, self.parent_run_id = self._sweep.sweep_id, self._sweep.run_id
        self.records_dir = str(self._sweep.records_dir)

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        redact_hydra_outputs(config)
        if self._sweep is not None:
            self._sweep.close()

    # -- job process ---------------------------------------------------------------------------
    def on_job_start(self, config: DictConfig, **kwargs: Any) -> None:
        from hydra.types import RunMode

        redact_hydra_outputs(config)
        if config.hydra.mode != RunMode.MULTIRUN:
            return
        # A resumed MLFLOW_RUN_ID would swallow every job into one run (it wins over parent_run_id).
        os.environ.pop("MLFLOW_RUN_ID", None)
        if os.environ.get("SUBMITIT_EXECUTOR"):  # a submitit job process: walltime/scancel end the run KILLED
            from sciml_mlflow.core import signals

            signals.take_over_from_scheduler_wrapper()
        job = sweep_job.job_from(self.sweep_id, self.parent_run_id, int(config.hydra.job.num),
                                 list(config.hydra.overrides.task))
        if job is not None and job.slurm:
            job = _link_requeued(config, job)
        if job is None:
            log.warning("multirun job %s started without a sweep parent (callback state and %s both missing); "
                        "its run is not grouped", config.hydra.job.num, sweep_job.ENV_SWEEP_ID)
        sweep_job.set_current_job(job)
        _share_cores(config)

    def on_job_end(self, config: DictConfig, job_return: Any, **kwargs: Any) -> None:
        from hydra.core.utils import JobStatus

        from sciml_mlflow.sweep.summary import write_record

        job = sweep_job.current_job()
        sweep_job.set_current_job(None)
        records = self.records_dir or os.environ.get(sweep_job.ENV_RECORDS_DIR)
        if job is None or not records:
            return
        ok = job_return.status == JobStatus.COMPLETED
        value = job_return._return_value  # the exception on failure (return_value would re-raise it)
        record = {"num": job.num, "overrides": " ".join(job.overrides),
                  "status": "COMPLETED" if ok else "FAILED",
                  "error": None if ok else f"{type(value).__name__}: {value}"[:500]}
        if ok and value is not None:
            record.update(run_id=getattr(value, "run_id", None), experiment_id=getattr(value, "experiment_id", None))
            from sciml_mlflow.run.context import target_of

            tgt = target_of(config)
            target = tgt.metric if tgt is not None else None
            metrics = getattr(value, "metrics", {}) or {}
            if target and target in metrics:
                record["metric"] = f"{target}={metrics[target]:.4g}"
        try:
            write_record(Path(records), job.num, record)
        except OSError as exc:
            log.error("could not write the record of sweep job %s to %s: %s", job.num, records, exc)


def _link_requeued(config: DictConfig, job: "sweep_job.SweepJob") -> "sweep_job.SweepJob":
    """Point a requeued SLURM job's new run at its earlier attempt (``slurm.requeued_from``)."""
    import dataclasses

    if int(job.slurm.get("slurm.restart_count", "0") or 0) <= 0:
        return job
    try:
        from sciml_mlflow.tracking import store

        earlier = sweep_job.earlier_attempt(store.connect(config.tracking.uri), job)
    except Exception as exc:  # linking is a courtesy: the job must still run
        log.error("could not find the earlier attempt of requeued SLURM job %s: %s", job.slurm.get("slurm.job_id"), exc)
        return job
    if earlier:
        log.info("SLURM job %s was requeued: its new run links to the earlier attempt %s",
                 job.slurm["slurm.job_id"], earlier)
    return dataclasses.replace(job, requeued_from=earlier)


def redact_hydra_outputs(config: DictConfig) -> None:
    """Hydra's own copies of the config hold every override raw: rewrite them redacted and owner-only (0600).

    Hydra writes ``<output_dir>/.hydra/{config,hydra,overrides}.yaml`` just before ``on_job_start`` and
    ``<sweep dir>/multirun.yaml`` before the first job; both are rewritten here (the decision to keep, not
    disable, these copies is in docs/decisions.md).  The job's log handlers get the redacting filter too.
    """
    from sciml_mlflow.tracking.redact import install_log_redaction, redact_file

    install_log_redaction()
    hydra = config.get("hydra") if hasattr(config, "get") else None
    if hydra is None:
        return
    files = []
    out, sub = OmegaConf.select(config, "hydra.runtime.output_dir"), OmegaConf.select(config, "hydra.output_subdir")
    if out and sub:
        files += [Path(str(out)) / str(sub) / f"{n}.yaml" for n in ("config", "hydra", "overrides")]
    sweep_dir = OmegaConf.select(config, "hydra.sweep.dir", throw_on_missing=False)
    if sweep_dir and str(OmegaConf.select(config, "hydra.mode")) == "RunMode.MULTIRUN":
        files.append(Path(str(sweep_dir)) / "multirun.yaml")
    for f in files:
        if f.is_file():
            redact_file(f)


def _share_cores(config: DictConfig) -> None:
    """Give each of a parallel launcher's ``n_jobs`` workers its share of the cores.

    torch starts one intra-op thread per core in every process; k workers on n cores would then run k×n
    threads that fight over n cores (measured slower than the sequential launcher).  Set before the job
    imports torch (OMP_NUM_THREADS is read at torch's start) and again through torch if it is loaded.
    """
    launcher = config.hydra.get("launcher") or {}
    target = str(launcher.get("_target_", ""))
    n_jobs = launcher.get("n_jobs") if ("joblib" in target or "WarmPoolLauncher" in target) else None
    cores = os.cpu_count() or 1
    if not n_jobs or int(n_jobs) <= 1:
        return
    threads = max(1, cores // min(int(n_jobs), cores))
    os.environ["OMP_NUM_THREADS"] = str(threads)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(threads)
    log.debug("parallel launcher with %s workers on %d cores: %d torch thread(s) per job", n_jobs, cores, threads)
