"""Push runs recorded offline (a local SQLite store on a compute node without network) to a shared server.

``sciml-mlflow runs sync --to http://server`` copies every ended run of the source store that the target
does not hold yet: experiment (by name), params, tags, every metric point with its own timestamp and
step, dataset inputs, artifacts, start/end time and status.  MLflow's API gives a new run its id, so the
source id is kept as tag ``sciml.origin.run_id`` (which also makes the sync idempotent), and references
between runs (``mlflow.parentRunId`` of sweep jobs, ``training_run_id`` of inference runs) are rewritten
to the new ids.  RUNNING runs are skipped (alive, or zombies: ``runs reconcile`` first).
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass, field
from typing import Dict, List, Optional

log = logging.getLogger(__name__)
ORIGIN_TAG = "sciml.origin.run_id"
ORIGIN_STORE_TAG = "sciml.origin.store"
_REFERENCES = ("mlflow.parentRunId", "training_run_id")


@dataclass
class SyncReport:
    copied: Dict[str, str] = field(default_factory=dict)  # source run id -> target run id
    already: int = 0
    skipped_running: List[str] = field(default_factory=list)


def sync(source: object, target: object, source_label: str, experiments: Optional[List[str]] = None) -> SyncReport:
    """Copy the ended runs of ``source`` (MlflowClient) missing from ``target`` (MlflowClient)."""
    report = SyncReport()
    exps = [e for e in source.search_experiments(max_results=50000)  # type: ignore[attr-defined]
            if experiments is None or e.name in experiments]
    runs = []
    for exp in exps:
        runs += source.search_runs([exp.experiment_id], max_results=50000)  # type: ignore[attr-defined]
    runs.sort(key=lambda r: (r.info.start_time or 0))  # parents and training runs before what refers to them
    mapping: Dict[str, str] = _already_synced(target)
    names = {e.experiment_id: e.name for e in exps}
    for run in runs:
        rid = run.info.run_id
        if rid in mapping:
            report.already += 1
            continue
        if run.info.status == "RUNNING":
            report.skipped_running.append(rid)
            continue
        new_id = _copy_run(source, target, run, names[run.info.experiment_id], mapping, source_label)
        mapping[rid] = new_id
        report.copied[rid] = new_id
        log.info("synced run %s -> %s", rid, new_id)
    return report


def _already_synced(target: object) -> Dict[str, str]:
    exps = [e.experiment_id for e in target.search_experiments(max_results=50000)]  # type: ignore[attr-defined]
    if not exps:
        return {}
    runs = target.search_runs(exps, filter_string=f"tags.`{ORIGIN_TAG}` != ''", max_results=50000)  # type: ignore[attr-defined]
    return {r.data.tags[ORIGIN_TAG]: r.info.run_id for r in runs if ORIGIN_TAG in r.data.tags}


def _experiment(target: object, name: str) -> str:
    from sciml_mlflow.tracking.store import ensure_experiment

    return ensure_experiment(target, name, None)


def _copy_run(source: object, target: object, run: object, exp_name: str, mapping: Dict[str, str],
              source_label: str) -> str:
    from mlflow.entities import Metric, Param

    info, data = run.info, run.data  # type: ignore[attr-defined]
    tags = dict(data.tags)
    for ref in _REFERENCES:
        if tags.get(ref) in mapping:
            tags[ref] = mapping[tags[ref]]
    tags[ORIGIN_TAG] = info.run_id
    tags[ORIGIN_STORE_TAG] = source_label
    exp_id = _experiment(target, exp_name)
    new = target.create_run(exp_id, start_time=info.start_time, run_name=info.run_name,  # type: ignore[attr-defined]
                            tags={k: v for k, v in tags.items() if k != "mlflow.runName"})
    new_id = new.info.run_id
    params = [Param(k, v) for k, v in data.params.items()]
    for i in range(0, len(params), 100):
        target.log_batch(new_id, params=params[i : i + 100], synchronous=True)  # type: ignore[attr-defined]
    points: List[Metric] = []
    for key in data.metrics:
        points += source.get_metric_history(info.run_id, key)  # type: ignore[attr-defined]
    for i in range(0, len(points), 1000):
        target.log_batch(new_id, metrics=[Metric(m.key, m.value, m.timestamp, m.step)  # type: ignore[attr-defined]
                                          for m in points[i : i + 1000]], synchronous=True)
    inputs = getattr(getattr(run, "inputs", None), "dataset_inputs", None) or []
    if inputs:
        try:
            target.log_inputs(new_id, datasets=list(inputs))  # type: ignore[attr-defined]
        except Exception as exc:
            log.warning("dataset inputs of run %s not copied: %s", info.run_id, exc)
    with tempfile.TemporaryDirectory() as tmp:
        if source.list_artifacts(info.run_id):  # type: ignore[attr-defined]
            local = source.download_artifacts(info.run_id, "", tmp)  # type: ignore[attr-defined]
            target.log_artifacts(new_id, local)  # type: ignore[attr-defined]
    target.set_terminated(new_id, status=info.status, end_time=info.end_time)  # type: ignore[attr-defined]
    return new_id
