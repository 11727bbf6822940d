"""The post-hoc checker behind ``sciml-mlflow check``: re-evaluates stored runs against the rule tables.

The checker, not the pre-run check, is the source of truth (as in MLPerf): params are parsed back from
the store and evaluated with the same constraint code.  Per run: rule table version, hyperparameters,
dataset identity, hardware match, required metrics, convergence, reference convergence (rules.rcp).  Per result (runs grouped by
benchmark x hardware, plus any keys asked for): seeds distinct, enough runs, one dataset digest, at most
one non-converged run (MLPerf olympic scoring drops it as the slowest).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from sciml_mlflow.tracking.runstore import RunRecord
from sciml_mlflow.rules.compliance import dataset_checks
from sciml_mlflow.rules.constraints import Check, check_hyperparameters, parse_param
from sciml_mlflow.rules.table import LoadedTable, load_table

log = logging.getLogger(__name__)


@dataclass
class RunChecks:
    run: RunRecord
    checks: List[Check] = field(default_factory=list)

    @property
    def converged(self) -> Optional[bool]:
        c = next((c for c in self.checks if c.check == "convergence"), None)
        return None if c is None else c.ok

    @property
    def failures(self) -> List[Check]:
        return [c for c in self.checks if c.ok is False and c.check != "convergence"]


@dataclass
class ResultChecks:
    """One result: the runs of one group, their checks and the group's checks."""

    key: Tuple[str, ...]
    table: Optional[LoadedTable]
    runs: List[RunChecks] = field(default_factory=list)
    checks: List[Check] = field(default_factory=list)

    @property
    def compliant(self) -> bool:
        return not any(c.ok is False for c in self.checks) and not any(r.failures for r in self.runs)

    def failures(self) -> List[Tuple[str, Check]]:
        out = [("*", c) for c in self.checks if c.ok is False]
        out += [(r.run.run_id, c) for r in self.runs for c in r.failures]
        return out


def _target(table: Optional[LoadedTable], run: RunRecord) -> Optional[Tuple[str, float, str]]:
    if table is not None and table.table.target is not None:
        t = table.table.target
        return t.metric, float(t.value), t.mode
    metric, value = run.params.get("benchmark.target.metric"), run.params.get("benchmark.target.value")
    if not metric or metric == "None" or value in (None, "None"):
        return None
    return metric, float(value), run.params.get("benchmark.target.mode", "max")  # type: ignore[arg-type]


def check_run(run: RunRecord, table: Optional[LoadedTable]) -> RunChecks:
    rc = RunChecks(run)
    add = rc.checks.append
    if table is None:
        add(Check("table", "rules.table", "<none>", f"ruletables/{run.tags.get('benchmark')}.yaml", False,
                  "no rule table for this benchmark"))
    else:
        t = table.table
        pinned = run.tags.get("compliance.table_version")
        ok = pinned == t.version
        add(Check("table", "compliance.table_version", str(pinned), f"== {t.version}", ok,
                  "" if ok else "the run was checked under another table version; check it with that version's table"))
        values = {k: parse_param(v) for k, v in run.params.items()}
        rc.checks += check_hyperparameters(t, values)
        rc.checks += dataset_checks(t, run.params.get("benchmark.dataset.name"), run.params.get("benchmark.dataset.scale"),
                                    run.tags.get("dataset.digest", ""))
        for m in t.require_metrics:
            has = m in run.metrics
            add(Check("metrics", m, "logged" if has else "<missing>", "logged", has, "" if has else "required metric"))
    mismatch = run.tags.get("hardware.mismatch", "false")
    add(Check("hardware", "hardware.mismatch", mismatch, "== 'false'", mismatch == "false",
              run.tags.get("hardware.mismatch_reason", "")))
    tgt = _target(table, run)
    if tgt is None:
        add(Check("convergence", "target", "<none>", "a target", False, "no target to converge to"))
    else:
        metric, value, mode = tgt
        hist = run.history.get(metric) or []
        best = (max if mode == "max" else min)((v for _, v, _ in hist), default=None)
        reached = best is not None and (best >= value if mode == "max" else best <= value)
        add(Check("convergence", metric, "<no evaluations>" if best is None else repr(best),
                  f"{'>=' if mode == 'max' else '<='} {value}", reached, "" if reached else "target never reached"))
    from sciml_mlflow.rules.rcp import load_rcp, rcp_check

    rcp = rcp_check(run, load_rcp(run.tags.get("benchmark", "")))
    if rcp is not None:
        add(rcp)
    return rc


def check_runs(runs: Sequence[RunRecord], group_by: Sequence[str] = ("benchmark", "hardware"),
               table_dir: Optional[str] = None) -> List[ResultChecks]:
    """Check every run and every result (group) of ``runs``."""
    tables: Dict[str, Optional[LoadedTable]] = {}
    groups: Dict[Tuple[str, ...], List[RunRecord]] = {}
    for r in runs:
        groups.setdefault(tuple(r.get(k, "-") or "-" for k in group_by), []).append(r)
    results = []
    for key in sorted(groups):
        members = groups[key]
        bench = members[0].tags.get("benchmark", "")
        if bench not in tables:
            tables[bench] = load_table(bench, table_dir)
        table = tables[bench]
        res = ResultChecks(key, table, [check_run(r, table) for r in members])
        _group_checks(res, members, table)
        results.append(res)
    return results


def _group_checks(res: ResultChecks, runs: List[RunRecord], table: Optional[LoadedTable]) -> None:
    add = res.checks.append
    need = table.table.required_runs if table is not None else 1
    add(Check("runs", "runs", str(len(runs)), f">= {need}", len(runs) >= need,
              "" if len(runs) >= need else f"a result needs {need} runs"))
    if table is None or table.table.seeds == "distinct":
        seeds = [r.tags.get("seed", "") for r in runs]
        dup = sorted({s for s in seeds if seeds.count(s) > 1})
        add(Check("seeds", "seed", ",".join(seeds)[:80], "distinct across runs", not dup,
                  f"duplicated: {', '.join(dup)}" if dup else ""))
    if table is not None and table.table.dataset.same_digest:
        digests = {r.tags.get("dataset.digest", "<none>") for r in runs}
        ok = len(digests) == 1 and "<none>" not in digests
        add(Check("dataset", "dataset.digest", ",".join(sorted(digests))[:80], "one digest for all runs", ok,
                  "" if ok else "runs used different (or unrecorded) dataset content"))
    failed = sum(1 for r in res.runs if r.converged is False)
    add(Check("convergence", "non_converged_runs", str(failed), "<= 1", failed <= 1,
              "" if failed <= 1 else "MLPerf: at most one run may miss the target (dropped as the slowest)"))


def to_json(results: List[ResultChecks]) -> str:
    return json.dumps([{
        "group": list(r.key), "compliant": r.compliant,
        "table": None if r.table is None else {"path": str(r.table.path), "version": r.table.table.version},
        "checks": [c.as_dict() for c in r.checks],
        "runs": [{"run_id": rc.run.run_id, "checks": [c.as_dict() for c in rc.checks]} for rc in r.runs],
    } for r in results], indent=2)


def target_metrics(table_dir: Optional[str] = None) -> List[str]:
    """Target metrics of every rule table (their histories are loaded besides each run's own target)."""
    from sciml_mlflow.rules.table import load_table_file, table_dirs

    out = set()
    for d in table_dirs(table_dir):
        for p in sorted(d.glob("*.yaml")) if d.is_dir() else []:
            try:
                t = load_table_file(p).table
            except Exception as exc:  # a broken table fails its own benchmark's check, not every check
                log.warning("skipping rule table %s: %s", p, exc)
                continue
            if t.target is not None:
                out.add(t.target.metric)
    return sorted(out)


__all__ = ["RunChecks", "ResultChecks", "check_run", "check_runs", "to_json", "target_metrics"]

