"""End zombie runs and replay metric journals: what ``sciml-mlflow runs reconcile`` does.

A run whose process died without ending it (SIGKILL, OOM killer, lost node) stays RUNNING in MLflow
forever.  Our runs carry a heartbeat (``tracking/heartbeat.py``); a RUNNING run whose last beat is older
than ``stale_after_s`` (and three of its own intervals) is *lost*: its journal, when this machine has it,
is replayed first, then the run ends FAILED at the time of its last beat with
``reason=lost (no heartbeat since <UTC time>)``.  Sweep parents are ended the same way after their jobs.
Journals left by runs that did end (the final flush failed: server down) are replayed and removed.
Runs without our heartbeat tag (other tools sharing the store) are never read further nor touched.

``at_run_start`` does the same cheaply at every new run start on a store and never raises.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from sciml_mlflow.tracking import journal as journal_mod
from sciml_mlflow.tracking.heartbeat import HEARTBEAT_TAG, INTERVAL_TAG

log = logging.getLogger(__name__)
REASON_TAG = "reason"
_MAX_RUNS = 5000


@dataclass
class ReconcileReport:
    """What one reconcile pass did."""

    ended: List[Tuple[str, str]] = field(default_factory=list)  # (run id, reason)
    replayed: Dict[str, int] = field(default_factory=dict)  # run id -> metric rows written from its journal
    alive: int = 0  # our RUNNING runs with a fresh heartbeat (left alone)


def _utc(seconds: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(seconds))


def _running_runs(client: object) -> list:
    exps = [e.experiment_id for e in client.search_experiments(max_results=50000)]  # type: ignore[attr-defined]
    if not exps:
        return []
    runs = client.search_runs(exps, filter_string="attributes.status = 'RUNNING'",  # type: ignore[attr-defined]
                              max_results=_MAX_RUNS)
    return [r for r in runs if HEARTBEAT_TAG in r.data.tags]


def is_stale(run: object, now: float, stale_after_s: float) -> Optional[float]:
    """The last beat (Unix s) when ``run`` is lost, else None."""
    tags = run.data.tags  # type: ignore[attr-defined]
    try:
        beat = float(tags[HEARTBEAT_TAG])
        interval = float(tags.get(INTERVAL_TAG, "60"))
    except (KeyError, ValueError):
        return None
    return beat if now - beat > max(float(stale_after_s), 3 * interval) else None


def reconcile(client: object, stale_after_s: float = 900.0, journal_dir: Optional[Path] = None,
              replay: bool = True) -> ReconcileReport:
    """End lost runs of this store FAILED (journals replayed first) and replay leftover journals."""
    report = ReconcileReport()
    now = time.time()
    local = dict(journal_mod.journals(journal_dir))
    lost = []
    for run in _running_runs(client):
        beat = is_stale(run, now, stale_after_s)
        if beat is None:
            report.alive += 1
        else:
            lost.append((run, beat))
    lost.sort(key=lambda rb: rb[0].data.tags.get("sweep.role") == "parent")  # jobs first, then their parents
    for run, beat in lost:
        run_id = run.info.run_id
        if replay and run_id in local:
            report.replayed[run_id] = journal_mod.replay(client, run_id, local.pop(run_id))
            journal_mod.remove(journal_dir, run_id)
        reason = f"lost (no heartbeat since {_utc(beat)})"
        client.set_tag(run_id, REASON_TAG, reason)  # type: ignore[attr-defined]
        client.set_terminated(run_id, status="FAILED", end_time=int(beat * 1000))  # type: ignore[attr-defined]
        report.ended.append((run_id, reason))
        log.warning("run %s ended FAILED: %s", run_id, reason)
    if replay:
        for run_id, path in local.items():  # journals of runs that ended but whose last batches never arrived
            try:
                run = client.get_run(run_id)  # type: ignore[attr-defined]
            except Exception:
                continue  # not a run of this store
            if run.info.status == "RUNNING":
                continue  # alive: its own writer is still on it
            report.replayed[run_id] = journal_mod.replay(client, run_id, path)
            journal_mod.remove(journal_dir, run_id)
    return report


def at_run_start(client: object, stale_after_s: float) -> None:
    """The cheap pass at every new run start: never raises, logs what it ended."""
    try:
        report = reconcile(client, stale_after_s)
    except Exception as exc:
        log.warning("reconcile at run start skipped: %s", exc)
        return
    if report.ended or report.replayed:
        log.warning("reconciled this store: %d lost run(s) ended FAILED, %d journal row(s) replayed",
                    len(report.ended), sum(report.replayed.values()))
