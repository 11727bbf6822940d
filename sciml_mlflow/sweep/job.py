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
from typing import Dict, List, Optional, Sequence

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

    def run_tags(self) -> Dict[str, str]:
        """Tags for the job's MLflow run (``mlflow.parentRunId`` nests it under the parent in the UI)."""
        from sciml_mlflow.tracking.redact import redact_override

        shown = [redact_override(o) for o in self.overrides]
        return {
            "mlflow.parentRunId": self.parent_run_id,
            "sweep.id": self.sweep_id,
            "sweep.job": str(self.num),
            "sweep.overrides": " ".join(shown)[:5000],
        }


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
    return SweepJob(sweep_id, parent_run_id, int(num), [str(o) for o in overrides])
