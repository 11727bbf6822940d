"""Grouping runs, aggregating each figure per group, ranking, and the Markdown/CSV tables.

Groups are keyed by the values of ``group_by`` (tags first, then dotted params), so any config key can
split a comparison: ``group_by: [benchmark, hardware, benchmark.training.batch_size]``.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from sciml_mlflow.report.figures import RunValue, compute
from sciml_mlflow.tracking.runstore import RunRecord
from sciml_mlflow.report.schema import FigureSpec, ReportConfig
from sciml_mlflow.report.stats import Aggregate, aggregate

MISSING_VALUE = "-"


@dataclass
class Group:
    key: Tuple[str, ...]
    runs: List[RunRecord]
    values: Dict[str, Dict[str, RunValue]]  # run_id -> figure -> value
    aggregates: Dict[str, Aggregate] = field(default_factory=dict)
    rank: Optional[int] = None


@dataclass
class Summary:
    cfg: ReportConfig
    groups: List[Group]

    @property
    def figures(self) -> List[FigureSpec]:
        return self.cfg.figures

    @property
    def rank_figure(self) -> Optional[FigureSpec]:
        name = self.cfg.rank_by or (self.figures[0].name if self.figures else None)
        return next((f for f in self.figures if f.name == name), None)


def summarize(runs: List[RunRecord], cfg: ReportConfig) -> Summary:
    """Compute every figure per run, aggregate per group, rank within ``rank_within``."""
    buckets: Dict[Tuple[str, ...], List[RunRecord]] = {}
    for run in runs:
        key = tuple(run.get(k, MISSING_VALUE) or MISSING_VALUE for k in cfg.group_by)
        buckets.setdefault(key, []).append(run)
    groups = []
    for key in sorted(buckets):
        members = sorted(buckets[key], key=lambda r: (r.start_time, r.run_id))
        values = {r.run_id: compute(r, cfg.figures, cfg) for r in members}
        g = Group(key, members, values)
        for spec in cfg.figures:
            g.aggregates[spec.name] = aggregate(spec.aggregate, [values[r.run_id][spec.name].value for r in members],
                                                cfg.confidence)
        groups.append(g)
    summary = Summary(cfg, groups)
    _rank(summary)
    return summary


def _rank(summary: Summary) -> None:
    spec = summary.rank_figure
    if spec is None:
        return
    within = [summary.cfg.group_by.index(k) for k in summary.cfg.rank_within if k in summary.cfg.group_by]
    partitions: Dict[Tuple[str, ...], List[Group]] = {}
    for g in summary.groups:
        partitions.setdefault(tuple(g.key[i] for i in within), []).append(g)
    sign = 1.0 if spec.better == "lower" else -1.0
    for members in partitions.values():
        valid = sorted((g for g in members if g.aggregates[spec.name].valid),
                       key=lambda g: sign * float(g.aggregates[spec.name].value))  # type: ignore[arg-type]
        for i, g in enumerate(valid, 1):
            g.rank = i
    summary.groups.sort(key=lambda g: (tuple(g.key[i] for i in within), g.rank is None, g.rank or 0, g.key))


def fmt(value: Optional[float], digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING_VALUE
    return f"{value:.{digits}g}"


def _header(spec: FigureSpec) -> str:
    return f"{spec.name} [{spec.unit}]" if spec.unit else spec.name


def cell(agg: Aggregate) -> str:
    if not agg.valid:
        return f"{MISSING_VALUE} ({agg.note})" if agg.note else MISSING_VALUE
    text = fmt(agg.value)
    if agg.ci is not None:
        text += f" ± {fmt(agg.ci, 3)}"
    return text + f" (n={agg.n})"


def table_rows(summary: Summary) -> Tuple[List[str], List[List[str]]]:
    """Header and rows of the group table, as display strings."""
    header = ["rank", *summary.cfg.group_by, "runs", *[_header(f) for f in summary.figures]]
    rows = [[str(g.rank) if g.rank else MISSING_VALUE, *g.key, str(len(g.runs)),
             *[cell(g.aggregates[f.name]) for f in summary.figures]] for g in summary.groups]
    return header, rows


def markdown(summary: Summary) -> str:
    header, rows = table_rows(summary)
    esc = [[c.replace("|", "\\|") for c in r] for r in rows]
    lines = [f"# {summary.cfg.title}", ""]
    rank = summary.rank_figure
    if rank is not None:
        lines += [f"Ranked by `{rank.name}` ({rank.better} is better) within "
                  f"{', '.join(summary.cfg.rank_within) or 'all groups'}; ± is the "
                  f"{summary.cfg.confidence:.0%} confidence half-width (Student t) over the group's runs.", ""]
    lines += ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in esc]
    lines += ["", "## Figures of merit", ""]
    lines += [f"- **{f.name}** ({f.kind}, {f.aggregate}, {f.better} is better){': ' + f.description if f.description else ''}"
              for f in summary.figures]
    return "\n".join(lines) + "\n"


def groups_csv(summary: Summary) -> str:
    """One row per group; numeric columns value/ci/n per figure (machine-readable, unrounded)."""
    buf = io.StringIO()
    w = csv.writer(buf)
    cols = ["rank", *summary.cfg.group_by, "runs"]
    for f in summary.figures:
        cols += [f.name, f"{f.name}_ci", f"{f.name}_n", f"{f.name}_note"]
    w.writerow(cols)
    for g in summary.groups:
        row: List[object] = [g.rank or "", *g.key, len(g.runs)]
        for f in summary.figures:
            a = g.aggregates[f.name]
            row += [repr(a.value) if a.valid else "", "" if a.ci is None else repr(a.ci), a.n, a.note]
        w.writerow(row)
    return buf.getvalue()


def runs_csv(summary: Summary) -> str:
    """One row per run with each figure's value and status."""
    buf = io.StringIO()
    w = csv.writer(buf)
    cols = ["run_id", "run_name", "experiment", *summary.cfg.group_by, "seed"]
    for f in summary.figures:
        cols += [f.name, f"{f.name}_status"]
    w.writerow(cols)
    for g in summary.groups:
        for r in g.runs:
            row: List[object] = [r.run_id, r.name, r.experiment, *g.key, r.tags.get("seed", "")]
            for f in summary.figures:
                v = g.values[r.run_id][f.name]
                row += ["" if v.value is None else repr(v.value), v.status]
            w.writerow(row)
    return buf.getvalue()


__all__ = ["Group", "Summary", "summarize", "markdown", "groups_csv", "runs_csv", "table_rows", "fmt", "cell"]
