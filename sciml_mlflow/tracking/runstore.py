"""Reading many runs, with their metric histories, from the tracking store in bulk.

Why not the MLflow client: ``search_runs`` followed by ``get_metric_history`` per run and key costs
one query (or HTTP request) per run and key; over 5,000 runs that takes minutes (see
scripts/bench_report.py for the measured numbers).  For SQL stores (sqlite, postgresql, mysql) this
module reads MLflow's tables directly, a handful of queries in total.

SCHEMA DEPENDENCY: the SQL path reads MLflow's tables ``experiments`` (experiment_id, name,
lifecycle_stage), ``runs`` (run_uuid, name, status, start_time, end_time, lifecycle_stage,
experiment_id), ``tags``/``params`` (run_uuid, key, value), ``latest_metrics`` and ``metrics``
(run_uuid, key, value, step, timestamp, is_nan) — stable across MLflow 2.x-3.x, but not a public API.
If a query fails on those names, it falls back to the client with a warning.  Servers (http/https)
always go through the client.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from sciml_mlflow.errors import TrackingError

log = logging.getLogger(__name__)

SQL_SCHEMES = ("sqlite", "postgresql", "mysql", "mssql")
Point = Tuple[int, float, int]  # (step, value, timestamp ms)


@dataclass
class RunRecord:
    """One run as the report and the checker need it."""

    run_id: str
    experiment_id: str
    experiment: str
    name: str
    status: str
    start_time: int  # ms since epoch
    end_time: Optional[int]
    params: Dict[str, str] = field(default_factory=dict)
    tags: Dict[str, str] = field(default_factory=dict)
    metrics: Dict[str, float] = field(default_factory=dict)  # latest value per key
    history: Dict[str, List[Point]] = field(default_factory=dict)  # only the keys asked for, sorted by step

    def get(self, key: str, default: Optional[str] = None) -> Optional[str]:
        """A tag, else a param (group-by keys may name either)."""
        return self.tags.get(key, self.params.get(key, default))


def default_uri() -> str:
    """The store ``tracking=local`` writes to: $MLFLOW_TRACKING_URI, else $SCIML_MLFLOW_HOME/mlflow.db."""
    import os

    from sciml_mlflow.core.resources import home_dir

    return os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{home_dir()}/mlflow.db"


def is_sql_uri(uri: str) -> bool:
    return uri.split(":", 1)[0].split("+", 1)[0] in SQL_SCHEMES


def _like(patterns: Iterable[str]) -> Tuple[List[str], List[str]]:
    exact, prefixes = [], []
    for p in patterns:
        (prefixes if p.endswith("*") else exact).append(p.rstrip("*"))
    return exact, prefixes


def load_runs(uri: str, experiments: Sequence[str] = (), filter_string: Optional[str] = None,
              tag_equals: Optional[Mapping[str, str]] = None, statuses: Sequence[str] = ("FINISHED",),
              history_keys: Iterable[str] = (), history_from_params: Sequence[str] = ("benchmark.target.metric",),
              client: Any = None) -> List[RunRecord]:
    """Active runs of ``experiments`` (all when empty) matching the filters, with histories of ``history_keys``.

    ``history_keys`` may end in ``*`` (prefix match, e.g. ``system/energy_*``); the values of the params named
    in ``history_from_params`` are metric keys whose history is loaded too (each run's target metric).
    ``filter_string`` is MLflow's search syntax; on the SQL path it is evaluated by MLflow's own
    SearchUtils over the loaded runs.
    """
    keys = sorted(set(history_keys))
    if is_sql_uri(uri):
        try:
            return _load_sql(uri, experiments, filter_string, tag_equals or {}, statuses, keys, history_from_params)
        except TrackingError:
            raise
        except Exception as exc:  # schema drift: degrade, loudly
            log.warning("bulk SQL read of %s failed (%s: %s); falling back to the MLflow client (slow)",
                        uri.split("?")[0], type(exc).__name__, str(exc)[:200])
    return _load_client(uri, experiments, filter_string, tag_equals or {}, statuses, keys, history_from_params, client)


# --- SQL path ------------------------------------------------------------------------------------------

def _engine(uri: str) -> Any:
    import sqlalchemy

    if uri.startswith("sqlite:///"):
        from pathlib import Path

        path = Path(uri[len("sqlite:///"):]).expanduser()
        if not path.is_file():
            raise TrackingError(f"tracking store {path} does not exist; run a benchmark first or fix the URI")
    return sqlalchemy.create_engine(uri)


def _in(name: str, values: Sequence[Any], params: Dict[str, Any]) -> str:
    marks = []
    for v in values:
        k = f"p{len(params)}"
        params[k] = v
        marks.append(f":{k}")
    return f"{name} IN ({', '.join(marks)})"


def _load_sql(uri: str, experiments: Sequence[str], filter_string: Optional[str], tag_equals: Mapping[str, str],
              statuses: Sequence[str], keys: Sequence[str], from_params: Sequence[str]) -> List[RunRecord]:
    from sqlalchemy import text

    engine = _engine(uri)
    try:
        with engine.connect() as conn:
            p: Dict[str, Any] = {}
            where = "lifecycle_stage = 'active'"
            if experiments:
                where += " AND " + _in("name", list(experiments), p)
            exps = {str(r[0]): r[1] for r in conn.execute(text(f"SELECT experiment_id, name FROM experiments WHERE {where}"), p)}
            if experiments and not exps:
                raise TrackingError(f"no active experiment named {', '.join(experiments)} in {uri.split('?')[0]}")
            if not exps:
                return []
            p = {}
            run_where = "r.lifecycle_stage = 'active' AND " + _in("r.experiment_id", [int(e) for e in exps], p)
            if statuses:
                run_where += " AND " + _in("r.status", list(statuses), p)
            runs: Dict[str, RunRecord] = {}
            for row in conn.execute(text("SELECT r.run_uuid, r.experiment_id, r.name, r.status, r.start_time, "
                                         f"r.end_time FROM runs r WHERE {run_where}"), p):
                runs[row[0]] = RunRecord(row[0], str(row[1]), exps[str(row[1])], row[2] or "", row[3],
                                         int(row[4] or 0), None if row[5] is None else int(row[5]))
            if not runs:
                return []
            join = f"JOIN runs r ON r.run_uuid = t.run_uuid WHERE {run_where}"
            for table, attr in (("tags", "tags"), ("params", "params")):
                for rid, k, v in conn.execute(text(f"SELECT t.run_uuid, t.key, t.value FROM {table} t {join}"), p):
                    getattr(runs[rid], attr)[k] = v
            for rid, k, v, nan in conn.execute(
                    text(f"SELECT t.run_uuid, t.key, t.value, t.is_nan FROM latest_metrics t {join}"), p):
                runs[rid].metrics[k] = math.nan if nan else float(v)
            selected = _select(list(runs.values()), filter_string, tag_equals)
            keys = sorted(set(keys) | {r.params[k] for r in selected for k in from_params if r.params.get(k)})
            if keys and selected:
                _sql_history(conn, selected, keys, join, p)
            return selected
    finally:
        engine.dispose()


def _sql_history(conn: Any, selected: List[RunRecord], keys: Sequence[str], join: str, p: Dict[str, Any]) -> None:
    """Histories of ``keys`` for the selected runs: one query, ordered, grouped in Python."""
    from sqlalchemy import text

    exact, prefixes = _like(keys)
    q = dict(p)
    conds = [_in("t.key", exact, q)] if exact else []
    for i, pre in enumerate(prefixes):
        q[f"like{i}"] = pre.replace("%", r"\%").replace("_", r"\_") + "%"
        conds.append(f"t.key LIKE :like{i} ESCAPE '\\'")
    sql = (f"SELECT t.run_uuid, t.key, t.step, t.value, t.timestamp, t.is_nan FROM metrics t {join} "
           f"AND ({' OR '.join(conds)}) ORDER BY t.run_uuid, t.key, t.step, t.timestamp")
    by_id = {r.run_id: r for r in selected}
    hist: Dict[str, Dict[str, List[Point]]] = defaultdict(lambda: defaultdict(list))
    for rid, k, step, value, ts, nan in conn.execute(text(sql), q):
        if rid in by_id:
            hist[rid][k].append((int(step), math.nan if nan else float(value), int(ts)))
    for rid, h in hist.items():
        by_id[rid].history = dict(h)


def _select(runs: List[RunRecord], filter_string: Optional[str], tag_equals: Mapping[str, str]) -> List[RunRecord]:
    out = [r for r in runs if all(r.tags.get(k) == v for k, v in tag_equals.items())]
    if filter_string:
        from mlflow.entities import Metric, Param, Run, RunData, RunInfo, RunTag
        from mlflow.utils.search_utils import SearchUtils

        entities = []
        for r in out:
            info = RunInfo(run_id=r.run_id, experiment_id=r.experiment_id, user_id="", status=r.status,
                           start_time=r.start_time, end_time=r.end_time, lifecycle_stage="active", run_name=r.name)
            data = RunData(metrics=[Metric(k, v, 0, 0) for k, v in r.metrics.items()],
                           params=[Param(k, v) for k, v in r.params.items()],
                           tags=[RunTag(k, v) for k, v in r.tags.items()])
            entities.append(Run(info, data))
        try:
            keep = {e.info.run_id for e in SearchUtils.filter(entities, filter_string)}
        except Exception as exc:
            raise TrackingError(f"invalid filter {filter_string!r}: {exc}; see MLflow's search syntax, e.g. "
                                "\"tags.`sweep.id` = 'abc' and params.seed = '1'\"") from None
        out = [r for r in out if r.run_id in keep]
    return out


# --- client path (servers, and the fallback) ------------------------------------------------------------

def _load_client(uri: str, experiments: Sequence[str], filter_string: Optional[str], tag_equals: Mapping[str, str],
                 statuses: Sequence[str], keys: Sequence[str], from_params: Sequence[str], client: Any) -> List[RunRecord]:
    """One search, then one history request per run and key: correct anywhere, slow for many runs."""
    from mlflow.entities import ViewType

    from sciml_mlflow.tracking.store import connect

    client = client or connect(uri)
    if experiments:
        exps = {}
        for name in experiments:
            e = client.get_experiment_by_name(name)
            if e is None:
                raise TrackingError(f"no experiment named {name!r} at {uri.split('?')[0]}")
            exps[e.experiment_id] = e.name
    else:
        exps = {e.experiment_id: e.name for e in client.search_experiments(view_type=ViewType.ACTIVE_ONLY)}
    if not exps:
        return []
    parts = [f"tags.`{k}` = '{v}'" for k, v in tag_equals.items()]
    if filter_string:
        parts.append(f"({filter_string})" if " or " in filter_string.lower() else filter_string)
    runs, token = [], None
    while True:
        page = client.search_runs(list(exps), " and ".join(parts), ViewType.ACTIVE_ONLY, max_results=5000, page_token=token)
        runs += list(page)
        token = page.token
        if not token:
            break
    exact, prefixes = _like(keys)
    out = []
    for run in runs:
        if statuses and run.info.status not in statuses:
            continue
        rec = RunRecord(run.info.run_id, run.info.experiment_id, exps.get(run.info.experiment_id, ""),
                        run.info.run_name or "", run.info.status, int(run.info.start_time or 0), run.info.end_time,
                        dict(run.data.params), dict(run.data.tags), dict(run.data.metrics))
        own = {rec.params[k] for k in from_params if rec.params.get(k)}
        wanted = [k for k in rec.metrics if k in exact or k in own or any(k.startswith(p) for p in prefixes)]
        for k in wanted:
            rec.history[k] = sorted((m.step, m.value, m.timestamp) for m in client.get_metric_history(rec.run_id, k))
        out.append(rec)
    return out


__all__ = ["RunRecord", "load_runs", "is_sql_uri", "default_uri"]
