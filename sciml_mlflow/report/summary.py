"""Grouping runs, aggregating each figure per group, ranking, and the Markdown/CSV tables.

Groups are keyed by the values of ``group_by``: the derived keys of ``report.grouping`` (benchmark,
dataset, model, options, hardware, rules: what makes runs comparable) or any tag or dotted param, so any
config key can split a comparison: ``group_by: [benchmark, hardware, benchmark.training.batch_size]``.
Each benchmark gets its own table: the configured figures that have a value there plus its card's
headline metrics (PSNR/SSIM for em_denoise, IoU/F1 for slstr_cloud), never another benchmark's columns.
"""

from __future__ import annotations

import csv
import io
import logging
import math
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from sciml_mlflow.report import grouping
from sciml_mlflow.report.figures import RunValue, compute
from sciml_mlflow.tracking.runstore import RunRecord
from sciml_mlflow.report.schema import FigureSpec, ReportConfig
from sciml_mlflow.report.stats import Aggregate, aggregate

MISSING_VALUE = "-"
log = logging.getLogger(__name__)


@dataclass
class Group:
    key: Tuple[str, ...]
    runs: List[RunRecord]
    values: Dict[str, Dict[str, RunValue]]  # run_id -> figure -> value
    aggregates: Dict[str, Aggregate] = field(default_factory=dict)
    rank: Optional[int] = None
    flags: List[str] = field(default_factory=list)  # duplicate seeds, mixed datasets
    benchmark: str = MISSING_VALUE
    raw_key: Tuple[str, ...] = ()  # the key grouped and ranked on (``key`` is its display: dataset @digest)


@dataclass
class Summary:
    cfg: ReportConfig
    groups: List[Group]
    headlines: Dict[str, List[str]] = field(default_factory=dict)  # benchmark -> its card's headline metrics
    extra_figures: List[FigureSpec] = field(default_factory=list)  # headline metrics no configured figure shows

    @property
    def figures(self) -> List[FigureSpec]:
        return [*self.cfg.figures, *self.extra_figures]

    def benchmarks(self) -> List[str]:
        return list(dict.fromkeys(g.benchmark for g in self.groups))

    def table_figures(self, benchmark: str) -> List[FigureSpec]:
        """The columns of ``benchmark``'s table: time/energy-to-target figures, its headline metrics in the
        card's order, then every other figure that has a value in one of its groups."""
        groups = [g for g in self.groups if g.benchmark == benchmark]
        has_value = {f.name for f in self.figures if any(g.aggregates[f.name].valid for g in groups)}
        by_metric = {f.metric: f for f in self.figures if f.kind == "metric"}
        first = [f for f in self.figures if f.kind in ("time_to_target", "energy_to_target")]
        head = [by_metric[m] for m in self.headlines.get(benchmark, []) if m in by_metric]
        rest = [f for f in self.figures if f not in first and f not in head
                and (f.kind not in ("metric", "per_watt") or f.name in has_value)]
        return [*first, *head, *rest]

    @property
    def rank_figure(self) -> Optional[FigureSpec]:
        name = self.cfg.rank_by or (self.figures[0].name if self.figures else None)
        return next((f for f in self.figures if f.name == name), None)


def summarize(runs: List[RunRecord], cfg: ReportConfig) -> Summary:
    """Compute every figure per run, aggregate per group, rank within ``rank_within``."""
    buckets: Dict[Tuple[str, ...], List[RunRecord]] = {}
    keys = grouping.group_keys(runs, cfg.group_by)
    for run in runs:
        buckets.setdefault(keys[run.run_id], []).append(run)
    headlines = grouping.headline_metrics(runs)
    summary = Summary(cfg, [], headlines, grouping.headline_figures(cfg.figures, headlines))
    by = list(cfg.group_by)
    for key in sorted(buckets):
        members = sorted(buckets[key], key=lambda r: (r.start_time, r.run_id))
        values = {r.run_id: compute(r, summary.figures, cfg) for r in members}
        shown = tuple(grouping.dataset_label(v, members) if k == "dataset" else v for k, v in zip(by, key))
        g = Group(shown, members, values, flags=grouping.flags(members),
                  benchmark=grouping.benchmark_of(key, by, members) or MISSING_VALUE, raw_key=key)
        for spec in summary.figures:
            g.aggregates[spec.name] = aggregate(spec.aggregate, [values[r.run_id][spec.name].value for r in members],
                                                cfg.confidence)
        if g.flags:
            log.warning("report group %s: %s", " / ".join(shown), "; ".join(g.flags))
        summary.groups.append(g)
    _rank(summary)
    return summary


def _rank(summary: Summary) -> None:
    spec = summary.rank_figure
    if spec is None:
        return
    within = [summary.cfg.group_by.index(k) for k in summary.cfg.rank_within if k in summary.cfg.group_by]
    partitions: Dict[Tuple[str, ...], List[Group]] = {}
    for g in summary.groups:
        partitions.setdefault(tuple((g.raw_key or g.key)[i] for i in within), []).append(g)
    sign = 1.0 if spec.better == "lower" else -1.0
    for members in partitions.values():
        valid = sorted((g for g in members if g.aggregates[spec.name].valid),
                       key=lambda g: sign * float(g.aggregates[spec.name].value))  # type: ignore[arg-type]
        for i, g in enumerate(valid, 1):
            g.rank = i
    summary.groups.sort(key=lambda g: (tuple((g.raw_key or g.key)[i] for i in within), g.rank is None, g.rank or 0,
                                       g.key))


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


def table_rows(summary: Summary, benchmark: Optional[str] = None) -> Tuple[List[str], List[List[str]]]:
    """Header and rows of the group table (one benchmark's, with its columns; None: every group and
    figure), as display strings.  A ``flags`` column is added when a group has one."""
    groups = [g for g in summary.groups if benchmark is None or g.benchmark == benchmark]
    figures = summary.figures if benchmark is None else summary.table_figures(benchmark)
    flagged = any(g.flags for g in groups)
    header = ["rank", *summary.cfg.group_by, "runs", *[_header(f) for f in figures], *(["flags"] if flagged else [])]
    rows = [[str(g.rank) if g.rank else MISSING_VALUE, *g.key, str(len(g.runs)),
             *[cell(g.aggregates[f.name]) for f in figures], *(["; ".join(g.flags) or MISSING_VALUE] if flagged else [])]
            for g in groups]
    return header, rows


def tables(summary: Summary) -> List[Tuple[str, List[str], List[List[str]]]]:
    """(benchmark, header, rows) per benchmark, in the summary's order."""
    return [(b, *table_rows(summary, b)) for b in summary.benchmarks()]


def markdown(summary: Summary) -> str:
    lines = [f"# {summary.cfg.title}", ""]
    rank = summary.rank_figure
    if rank is not None:
        lines += [f"Ranked by `{rank.name}` ({rank.better} is better) within "
                  f"{', '.join(summary.cfg.rank_within) or 'all groups'}; ± is the "
                  f"{summary.cfg.confidence:.0%} confidence half-width (Student t) over the group's runs.", ""]
    for bench, header, rows in tables(summary):
        esc = [[c.replace("|", "\\|") for c in r] for r in rows]
        lines += [f"## {bench}", ""]
        lines += ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
        lines += ["| " + " | ".join(r) + " |" for r in esc]
        lines += [""]
    lines += ["## Figures of merit", ""]
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
    w.writerow([*cols, "flags"])
    for g in summary.groups:
        row: List[object] = [g.rank or "", *g.key, len(g.runs)]
        for f in summary.figures:
            a = g.aggregates[f.name]
            row += [repr(a.value) if a.valid else "", "" if a.ci is None else repr(a.ci), a.n, a.note]
        w.writerow([*row, "; ".join(g.flags)])
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


__all__ = ["Group", "Summary", "summarize", "markdown", "groups_csv", "runs_csv", "table_rows", "tables", "fmt",
           "cell"]
