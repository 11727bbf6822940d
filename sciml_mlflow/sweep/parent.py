"""The parent run of a sweep: opened before any job starts, always closed.

Why every step is here and not in Hydra's hooks alone:

- the store is initialised once, in the launching process, *before* parallel jobs open it (several
  processes creating a fresh SQLite store at once race on its schema migrations and break it);
- an ``MLFLOW_RUN_ID`` inherited from the environment would make MLflow *resume* that run for the first
  job instead of starting one per job (it wins over ``parent_run_id``); it is removed here and that outer
  run, if any, becomes the sweep's own parent;
- Hydra's basic sweeper re-raises the first job failure after the batch and never calls
  ``on_multirun_end``; ``close_open_sweeps()`` (called by the CLI in a ``finally``, and at exit) closes the
  parent FAILED in that case.
"""

from __future__ import annotations

import atexit
import logging
import os
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from sciml_mlflow.sweep.job import ENV_PARENT_RUN_ID, ENV_RECORDS_DIR, ENV_SWEEP_ID
from sciml_mlflow.sweep.summary import JobRow, collect_rows, render_table
from sciml_mlflow.tracking.metric_keys import SWEEP_JOBS, SWEEP_JOBS_FAILED
from sciml_mlflow.tracking.redact import redact, redact_override

log = logging.getLogger(__name__)

_open: Dict[str, "SweepRun"] = {}
_summaries: List[str] = []
_beats: Dict[str, Any] = {}  # sweep id -> HeartbeatThread of its parent run


def new_sweep_id(kind: str = "sweep") -> str:
    return f"{kind}-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"


@dataclass
class SweepRun:
    """A parent run grouping the runs of one sweep (or one study)."""

    sweep_id: str
    run_id: str
    experiment_id: str
    tracking_uri: str
    records_dir: Path
    kind: str = "sweep"
    closed: bool = False
    status: str = "RUNNING"
    rows: List[JobRow] = field(default_factory=list)

    @classmethod
    def open(cls, tracking_uri: str, experiment_name: str, artifact_root: Optional[str], records_dir: Path,
             overrides: Sequence[str] = (), kind: str = "sweep", run_name: Optional[str] = None,
             extra_tags: Optional[Dict[str, str]] = None, heartbeat_s: float = 60.0) -> "SweepRun":
        """Initialise the store, create the parent run and export the sweep identity to job processes."""
        from mlflow.entities import RunStatus  # noqa: F401 - imported here: mlflow is heavy

        from sciml_mlflow.tracking import store

        outer = os.environ.pop("MLFLOW_RUN_ID", None)
        if outer:
            log.warning("MLFLOW_RUN_ID=%s is set: each sweep job starts its own run, so it is not resumed; "
                        "it becomes the parent of this %s's run instead", outer, kind)
        client = store.connect(tracking_uri)
        exp_id = store.ensure_experiment(client, experiment_name, artifact_root)
        sweep_id = new_sweep_id(kind)
        tags = {
            "sweep.id": sweep_id,
            "sweep.role": "parent",
            "sweep.kind": kind,
            "sweep.overrides": " ".join(redact_override(o) for o in overrides)[:5000],
            **{k: str(redact(v, k)) for k, v in (extra_tags or {}).items()},
        }
        if outer:
            tags["mlflow.parentRunId"] = outer
        run = client.create_run(exp_id, run_name=run_name or sweep_id, tags=tags)  # type: ignore[attr-defined]
        records_dir = Path(records_dir).resolve() / sweep_id
        records_dir.mkdir(parents=True, exist_ok=True)
        sweep = cls(sweep_id, run.info.run_id, exp_id, tracking_uri, records_dir, kind)
        from sciml_mlflow.tracking.heartbeat import HeartbeatThread

        # kept out of the SweepRun: the callback holding it is pickled to joblib workers (a thread is not)
        _beats[sweep_id] = HeartbeatThread(client, sweep.run_id, heartbeat_s).start()  # reconcile ends it if we die
        os.environ[ENV_SWEEP_ID] = sweep_id
        os.environ[ENV_PARENT_RUN_ID] = sweep.run_id
        os.environ[ENV_RECORDS_DIR] = str(records_dir)
        _open[sweep_id] = sweep
        log.info("%s %s: parent run %s in experiment %s", kind, sweep_id, sweep.run_id, experiment_name)
        return sweep

    def close(self, failed: bool = False, killed: bool = False) -> List[JobRow]:
        """End the parent: FAILED when a job failed or the sweep aborted, KILLED on Ctrl-C, else FINISHED."""
        if self.closed:
            return self.rows
        from mlflow.tracking import MlflowClient

        self.closed = True
        beat = _beats.pop(self.sweep_id, None)
        if beat is not None:
            beat.stop()
        _open.pop(self.sweep_id, None)
        for var in (ENV_SWEEP_ID, ENV_PARENT_RUN_ID, ENV_RECORDS_DIR):
            if os.environ.get(var) in (self.sweep_id, self.run_id, str(self.records_dir)):
                os.environ.pop(var, None)
        client = MlflowClient(tracking_uri=self.tracking_uri)
        try:
            self.rows = collect_rows(client, self.experiment_ids(client), self.sweep_id, self.records_dir)
        except Exception as exc:  # the parent must still end
            log.error("could not collect the jobs of %s %s: %s", self.kind, self.sweep_id, exc)
            self.rows, failed = [], True
        bad = [r for r in self.rows if r.status != "FINISHED"]
        status = "KILLED" if killed else ("FAILED" if failed or bad else "FINISHED")
        table = render_table(self.rows, f"{self.kind} {self.sweep_id}: {status} (parent run {self.run_id})")
        try:
            from mlflow.entities import Metric

            now = int(time.time() * 1000)
            client.log_batch(self.run_id, metrics=[  # type: ignore[attr-defined]
                Metric(SWEEP_JOBS, float(len(self.rows)), now, 0),
                Metric(SWEEP_JOBS_FAILED, float(len(bad)), now, 0),
            ])
            client.log_text(self.run_id, table + "\n", "sweep/summary.txt")  # type: ignore[attr-defined]
        except Exception as exc:
            log.error("could not record the summary on parent run %s: %s", self.run_id, exc)
        if killed:
            from sciml_mlflow.core import signals

            stop = signals.taken()
            try:
                client.set_tag(self.run_id, signals.REASON_TAG,  # type: ignore[attr-defined]
                               stop.reason if stop else signals.reason_of(KeyboardInterrupt()))
            except Exception as exc:
                log.error("could not tag parent run %s with its reason: %s", self.run_id, exc)
        client.set_terminated(self.run_id, status=status)  # type: ignore[attr-defined]
        self.status = status
        _summaries.append(table)
        log.info("%s %s ended %s: %d jobs, %d not finished", self.kind, self.sweep_id, status, len(self.rows), len(bad))
        return self.rows

    def experiment_ids(self, client: object) -> List[str]:
        """Every experiment: a sweep over benchmarks spreads its jobs over several (one per benchmark)."""
        return [e.experiment_id for e in client.search_experiments(max_results=50000)]  # type: ignore[attr-defined]


def close_open_sweeps(failed: bool = True, killed: bool = False) -> None:
    """Close every parent still open in this process (the sweep aborted before ``on_multirun_end``)."""
    for sweep in list(_open.values()):
        try:
            sweep.close(failed=failed, killed=killed)
        except Exception as exc:
            log.error("could not close the parent run %s of %s: %s", sweep.run_id, sweep.sweep_id, exc)


def pop_summaries() -> List[str]:
    """Summary tables of the sweeps closed so far (the CLI prints them once)."""
    out = list(_summaries)
    _summaries.clear()
    return out


def _at_exit() -> None:
    if _open:
        close_open_sweeps(failed=True)
        for table in pop_summaries():
            log.error("sweep aborted:\n%s", table)


atexit.register(_at_exit)
