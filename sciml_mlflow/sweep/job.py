"""Which sweep job this process is running, and the tags that put its run into the sweep.

Hydra builds the task's config *before* ``on_job_start`` runs, so the callback cannot change it; it
records the job here instead and the task function (cli/hydra_app.py) passes ``run_tags()`` to the
runner.  The sweep identity also travels in environment variables so that job processes started by
other launchers (joblib's loky workers, submitit on a cluster node) find it even when the callback
object was not carried along.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Dict, List, Mapping, Optional, Sequence

ENV_SWEEP_ID = "SCIML_SWEEP_ID"
ENV_PARENT_RUN_ID = "SCIML_SWEEP_PARENT_RUN_ID"
ENV_RECORDS_DIR = "SCIML_SWEEP_RECORDS_DIR"

_current: Optional["SweepJob"] = None


@dataclass(frozen=True)
class SweepJob:
    """One job of a sweep: its number, its overrides and the parent run that groups it."""

    sweep_id: str
    parent_run_id: str
    num: int
    overrides: List[str] = field(default_factory=list)
    slurm: Dict[str, str] = field(default_factory=dict)  # slurm.* tags when SLURM runs the job (slurm_tags)
    requeued_from: Optional[str] = None  # run id of this job's earlier attempt (a requeued SLURM job)

    def run_tags(self) -> Dict[str, str]:
        """Tags for the job's MLflow run (``mlflow.parentRunId`` nests it under the parent in the UI)."""
        from sciml_mlflow.tracking.redact import redact_override

        shown = [redact_override(o) for o in self.overrides]
        return {
            "mlflow.parentRunId": self.parent_run_id,
            "sweep.id": self.sweep_id,
            "sweep.job": str(self.num),
            "sweep.overrides": " ".join(shown)[:5000],
            **self.slurm,
            **({"slurm.requeued_from": self.requeued_from} if self.requeued_from else {}),
        }


def slurm_tags(env: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
    """The SLURM identity of this job process as run tags (empty outside SLURM).

    ``slurm.job_id`` is what ``sacct``/``squeue`` print: ``<array job>_<task>`` for a job array's task.
    ``slurm.restart_count`` is SLURM_RESTART_COUNT (> 0 after a requeue: the run is a new attempt).
    """
    env = os.environ if env is None else env
    if "SLURM_JOB_ID" not in env:
        return {}
    array, task = env.get("SLURM_ARRAY_JOB_ID"), env.get("SLURM_ARRAY_TASK_ID")
    tags = {"slurm.job_id": f"{array}_{task}" if array and task else env["SLURM_JOB_ID"],
            "slurm.restart_count": env.get("SLURM_RESTART_COUNT", "0")}
    for key, var in (("slurm.partition", "SLURM_JOB_PARTITION"), ("slurm.nodelist", "SLURM_JOB_NODELIST"),
                     ("slurm.cluster", "SLURM_CLUSTER_NAME")):
        if env.get(var):
            tags[key] = env[var]
    return tags


def set_current_job(job: Optional[SweepJob]) -> None:
    global _current
    _current = job


def current_job() -> Optional[SweepJob]:
    """The sweep job this process runs now, or None outside a sweep."""
    return _current


def job_from(sweep_id: Optional[str], parent_run_id: Optional[str], num: int, overrides: Sequence[str]) -> Optional[SweepJob]:
    """A SweepJob from the callback's state, falling back to the environment; None when neither knows."""
    sweep_id = sweep_id or os.environ.get(ENV_SWEEP_ID)
    parent_run_id = parent_run_id or os.environ.get(ENV_PARENT_RUN_ID)
    if not sweep_id or not parent_run_id:
        return None
    return SweepJob(sweep_id, parent_run_id, int(num), [str(o) for o in overrides], slurm_tags())


def earlier_attempt(client: object, job: SweepJob) -> Optional[str]:
    """The run of this SLURM job's previous attempt, when SLURM requeued it (restart count > 0).

    Decision (docs/decisions.md): a requeued job starts a *new* run linked to the old one
    (``slurm.requeued_from``), it does not resume it: the KILLED attempt stays KILLED with its metrics, and
    the reference benchmarks restart training from scratch, so resuming would mix two trainings' steps.
    """
    if int(job.slurm.get("slurm.restart_count", "0") or 0) <= 0:
        return None
    flt = (f"tags.`sweep.id` = '{job.sweep_id}' and tags.`slurm.job_id` = '{job.slurm['slurm.job_id']}'")
    exps = [e.experiment_id for e in client.search_experiments(max_results=50000)]  # type: ignore[attr-defined]
    runs = client.search_runs(exps, filter_string=flt, order_by=["attributes.start_time DESC"],  # type: ignore[attr-defined]
                              max_results=1)
    return str(runs[0].info.run_id) if runs else None
