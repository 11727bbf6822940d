"""The end-of-sweep table: one row per job, from job records and the store.

Job records (``job-<n>.json``, written by each job process into the sweep's records folder) know about
jobs that failed before a run existed (a config error); the store knows the runs and their metrics.
Both are merged by job number, so the table is right whichever launcher ran the jobs.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from sciml_mlflow.tracking.metric_keys import is_system

log = logging.getLogger(__name__)


@dataclass
class JobRow:
    num: int
    overrides: str
    status: str  # FINISHED | FAILED | KILLED | RUNNING | NO_RUN
    run_id: Optional[str] = None
    metric: Optional[str] = None  # "name=value" of the job's target metric, when logged
    error: Optional[str] = None
    slurm_job: Optional[str] = None  # the SLURM job id (``<array>_<task>``) when SLURM ran the job
    start: Optional[int] = None  # the run's start time (ms), to pick the latest attempt of a requeued job


def write_record(records_dir: Path, num: int, record: Dict[str, object]) -> None:
    """Atomically write one job's record (temp file, then rename), redacted and owner-only (0600)."""
    import os

    from sciml_mlflow.tracking.redact import redact

    records_dir.mkdir(parents=True, exist_ok=True)
    tmp = records_dir / f".job-{num}.json.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(json.dumps(redact(record), default=str))
    tmp.replace(records_dir / f"job-{num}.json")


def collect_rows(client: object, experiment_ids: Sequence[str], sweep_id: str, records_dir: Path) -> List[JobRow]:
    """Rows for every job of ``sweep_id`` found in the records folder or the store."""
    rows: Dict[int, JobRow] = {}
    runs = client.search_runs(  # type: ignore[attr-defined]
        list(experiment_ids), filter_string=f"tags.`sweep.id` = '{sweep_id}'",
        max_results=10000,
    ) if experiment_ids else []
    for run in runs:
        t = run.data.tags
        if t.get("sweep.role") == "parent" or "sweep.job" not in t:
            continue
        num = int(t["sweep.job"])
        metric = None
        for key in sorted(run.data.metrics):
            if not is_system(key):
                metric = f"{key}={run.data.metrics[key]:.4g}"
                break
        if num in rows and rows[num].slurm_job and (rows[num].start or 0) > run.info.start_time:
            continue  # a requeued SLURM job has several attempts: the row shows the latest
        rows[num] = JobRow(num, t.get("sweep.overrides", ""), run.info.status, run.info.run_id, metric,
                           t.get("error"), t.get("slurm.job_id"), run.info.start_time)
    for f in sorted(records_dir.glob("job-*.json")):
        try:
            rec = json.loads(f.read_text())
        except (OSError, ValueError) as exc:
            log.warning("unreadable job record %s: %s", f, exc)
            continue
        num = int(rec["num"])
        row = rows.get(num)
        if row is None:  # the job never got a run (refused before starting, or its process died)
            rows[num] = JobRow(num, str(rec.get("overrides", "")), "NO_RUN" if rec.get("status") != "COMPLETED" else "FINISHED",
                               None, None, rec.get("error"))
        else:
            if rec.get("metric"):
                row.metric = str(rec["metric"])  # the benchmark's target metric, chosen by the job
            if rec.get("status") == "FAILED" and row.status == "FINISHED":
                row.status, row.error = "FAILED", rec.get("error")  # failed after its run ended
    return [rows[k] for k in sorted(rows)]


def render_table(rows: Sequence[JobRow], title: str) -> str:
    """A plain-text table: it reads the same on a terminal, in a SLURM log and as a run artifact."""
    slurm = any(r.slurm_job for r in rows)  # a column of SLURM job ids when SLURM ran the jobs
    header = ("job",) + (("slurm job",) if slurm else ()) + ("status", "run id", "overrides", "metric / error")
    body = [(str(r.num),) + ((r.slurm_job or "-",) if slurm else ()) + (r.status, (r.run_id or "-")[:12], r.overrides or "-",
             r.metric or ((r.error or "")[:60] if r.status != "FINISHED" else "")) for r in rows]
    widths = [max(len(h), *(len(b[i]) for b in body)) if body else len(h) for i, h in enumerate(header)]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths))
    out = [title, line, "-" * len(line)]
    out += ["  ".join(c.ljust(w) for c, w in zip(b, widths)) for b in body]
    if not body:
        out.append("(no jobs ran)")
    return "\n".join(out)
