"""Plots of a report, for a paper or a talk: quality vs time-to-target with its Pareto front per
benchmark, per-group bars whose intervals stay inside the quantity's range, learning curves with one
axis per metric, the target drawn and seeds told apart.

Each plot is written as PNG (embedded in the HTML page) and as vector SVG and PDF next to it.
matplotlib with the Agg backend (headless clusters have no display).
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from sciml_mlflow.report.ranges import clipped_error, value_range
from sciml_mlflow.report.summary import Group, Summary

log = logging.getLogger(__name__)
VECTOR_FORMATS = ("svg", "pdf")
LINESTYLES = ("-", "--", ":", "-.")


def _plt() -> Any:
    import matplotlib  # heavy: imported only when plotting

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    plt.rcParams.update({"svg.fonttype": "none", "pdf.fonttype": 42})  # text stays text in vector copies
    return plt


def _label(key: Tuple[str, ...]) -> str:
    return " / ".join(k for k in key if k != "-") or "-"  # unset keys (no options varied, ...) say nothing


def _labels(groups: List[Group]) -> Dict[int, str]:
    """Short labels for the groups drawn together: only the key parts that differ between them (six group
    keys written out overflow a Pareto plot); all of them when every part is shared."""
    keys = [g.key for g in groups]
    varying = [i for i in range(len(keys[0]) if keys else 0) if len({k[i] for k in keys}) > 1]
    return {id(g): _label(tuple(g.key[i] for i in varying) if varying else g.key) for g in groups}


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)


def _save(plt: Any, fig: Any, out: Path, stem: str) -> Path:
    """PNG (returned) plus the vector copies."""
    fig.tight_layout()
    path = out / f"{stem}.png"
    fig.savefig(path, dpi=120)
    for ext in VECTOR_FORMATS:
        fig.savefig(out / f"{stem}.{ext}")
    plt.close(fig)
    return path


def pareto_front(points: List[Tuple[float, float]], y_higher: bool = True) -> List[Tuple[float, float]]:
    """Non-dominated points for minimising x and maximising (or minimising) y, sorted by x."""
    front: List[Tuple[float, float]] = []
    best = -math.inf if y_higher else math.inf
    for x, y in sorted(points, key=lambda p: (p[0], -p[1] if y_higher else p[1])):
        if (y > best) if y_higher else (y < best):
            front.append((x, y))
            best = y
    return front


def _benchmark_of(summary: Summary, group: Group) -> str:
    if group.benchmark != "-":
        return group.benchmark
    by = list(summary.cfg.group_by)
    if "benchmark" in by:
        return group.key[by.index("benchmark")]
    run = group.runs[0] if group.runs else None
    return (run.get("benchmark") or run.params.get("benchmark.name") or "") if run else ""


def by_benchmark(summary: Summary) -> Dict[str, List[Group]]:
    """Groups per benchmark, in the summary's order."""
    out: Dict[str, List[Group]] = {}
    for g in summary.groups:
        out.setdefault(_benchmark_of(summary, g), []).append(g)
    return out


def _axis_label(name: str, unit: str) -> str:
    return f"{name} [{unit}]" if unit else name


def _pareto_y(summary: Summary, groups: List[Group]) -> Optional[str]:
    """The configured quality figure when this benchmark has it, else its first higher-is-better metric."""
    higher = {f.name for f in summary.figures if f.better == "higher" and f.kind == "metric"}
    headline = [m for m in summary.headlines.get(groups[0].benchmark, []) if m in higher] if groups else []
    candidates = ([summary.cfg.pareto_y] if summary.cfg.pareto_y else []) + headline + [
        f.name for f in summary.figures if f.name in higher]
    for name in candidates:
        if any(g.aggregates.get(name) is not None and g.aggregates[name].valid for g in groups):
            return name
    return None


def _pareto(summary: Summary, out: Path) -> Dict[str, Path]:
    cfg = summary.cfg
    figs = {f.name: f for f in summary.figures}
    xname = cfg.pareto_x if cfg.pareto_x in figs else None
    if xname is None:
        return {}
    plt = _plt()
    paths = {}
    for bench, groups in by_benchmark(summary).items():
        yname = _pareto_y(summary, groups)
        if yname is None:
            continue
        fig, ax = plt.subplots(figsize=(6.4, 4.2))
        points = []
        labels = _labels(groups)
        for i, g in enumerate(groups):
            color = f"C{i % 10}"
            run_pts = [(g.values[r.run_id][xname].value, g.values[r.run_id][yname].value) for r in g.runs]
            run_pts = [(x, y) for x, y in run_pts if x is not None and y is not None]
            if run_pts:
                ax.scatter(*zip(*run_pts), s=14, alpha=0.4, color=color)
            ax_, ay = g.aggregates[xname], g.aggregates[yname]
            if ax_.valid and ay.valid:
                points.append((float(ax_.value), float(ay.value)))  # type: ignore[arg-type]
                ax.scatter([ax_.value], [ay.value], s=60, marker="D", edgecolor="black", color=color, zorder=3)
                ax.annotate(labels[id(g)], (ax_.value, ay.value), fontsize=7, xytext=(4, 4),
                            textcoords="offset points")
        if not points:
            plt.close(fig)
            continue
        front = pareto_front(points, figs[yname].better == "higher")
        # the front as the staircase it bounds (a line, no legend entry), carried to the plot's right edge
        right = max(x for x, _ in points) * 1.25 or 1.0  # room for the labels
        xs, ys = [p[0] for p in front] + [right], [p[1] for p in front] + [front[-1][1]]
        ax.plot(xs, ys, color="black", linewidth=1.2, drawstyle="steps-post", zorder=2)
        ax.set_xlim(0, right)
        ax.set_xlabel(_axis_label(xname, figs[xname].unit))
        ax.set_ylabel(_axis_label(yname, figs[yname].unit))
        ax.set_title(f"{bench}: {yname} vs {xname}\n(groups: diamonds, runs: dots, line: Pareto front)", fontsize=10)
        ax.grid(alpha=0.3)
        paths[f"{bench}: {yname} vs {xname} (Pareto front)"] = _save(plt, fig, out, f"pareto_{_safe(bench)}")
    return paths


def _bars(summary: Summary, out: Path) -> Dict[str, Path]:
    names = summary.cfg.bars or [f.name for f in summary.figures if f.aggregate in ("mean_ci", "olympic")]
    plt = _plt()
    paths = {}
    for name in names:
        spec = next((f for f in summary.figures if f.name == name), None)
        groups = [g for g in summary.groups if g.aggregates.get(name) is not None and g.aggregates[name].valid]
        if spec is None or len(groups) < 2:  # one bar compares nothing: the table has the number
            continue
        low, high = value_range(name, spec.kind, spec.unit, spec.metric or "")
        fig, ax = plt.subplots(figsize=(max(5.0, 0.9 * len(groups) + 2), 3.8))
        vals = [float(g.aggregates[name].value) for g in groups]  # type: ignore[arg-type]
        errs = [clipped_error(v, g.aggregates[name].ci or 0.0, low, high) for v, g in zip(vals, groups)]
        ax.bar(range(len(groups)), vals, yerr=list(zip(*errs)), capsize=4,
               color=[f"C{i % 10}" for i in range(len(groups))])
        ax.set_xticks(range(len(groups)))
        labels = _labels(groups)
        ax.set_xticklabels([labels[id(g)] for g in groups], rotation=30, ha="right", fontsize=8)
        ax.set_ylabel(_axis_label(name, spec.unit))
        if high == 1.0:
            ax.set_ylim(0, 1.0)
        what = "olympic mean" if spec.aggregate == "olympic" else f"mean, {summary.cfg.confidence:.0%} CI"
        ax.set_title(f"{name} per group ({what})", fontsize=10)
        ax.grid(axis="y", alpha=0.3)
        paths[f"Per-group {name}"] = _save(plt, fig, out, f"bars_{_safe(name)}")
    return paths


def _curve_metrics(summary: Summary) -> List[str]:
    """Metrics with a per-epoch history in some run: each run's target metric, then ``curve_metric``."""
    names: List[str] = []
    for g in summary.groups:
        for r in g.runs:
            for m in (r.params.get("benchmark.target.metric"), summary.cfg.curve_metric):
                if m and m != "None" and len(r.history.get(m, [])) > 1 and m not in names:
                    names.append(m)
    return names


def _curves(summary: Summary, out: Path) -> Optional[Path]:
    metrics = _curve_metrics(summary)
    if not metrics:
        return None
    plt = _plt()
    cols = min(len(metrics), 2)
    rows = math.ceil(len(metrics) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(6.0 * cols, 3.8 * rows), squeeze=False)
    labels = _labels(summary.groups)
    for ax, metric in zip(axes.flat, metrics):
        targets = set()
        for i, g in enumerate(summary.groups):
            for j, r in enumerate(g.runs[: summary.cfg.curve_max_runs]):
                hist = r.history.get(metric)
                if not hist:
                    continue
                seed = r.get("seed") or str(j)
                ax.plot([p[0] for p in hist], [p[1] for p in hist], color=f"C{i % 10}",
                        linestyle=LINESTYLES[j % len(LINESTYLES)], marker="o", markersize=2.5, linewidth=1.2,
                        label=f"{labels[id(g)]}, seed {seed}")
                if r.params.get("benchmark.target.metric") == metric:
                    try:
                        targets.add(float(r.params.get("benchmark.target.value", "nan")))
                    except ValueError:
                        pass
        for t in sorted(v for v in targets if not math.isnan(v)):
            ax.axhline(t, color="black", linestyle="--", linewidth=1)
            ax.annotate(f"target {t:g}", (0, t), xycoords=("axes fraction", "data"), xytext=(4, 3),
                        textcoords="offset points", ha="left", fontsize=8)
        low, high = value_range(metric)
        if high == 1.0:
            ax.set_ylim(max(0.0, ax.get_ylim()[0]), min(1.0, ax.get_ylim()[1] * 1.02))
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.set_title(metric, fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="best")
    for ax in list(axes.flat)[len(metrics):]:
        ax.set_visible(False)
    fig.suptitle(f"Learning curves (colour: group, line style: seed; first {summary.cfg.curve_max_runs} "
                 "runs per group)", fontsize=10)
    return _save(plt, fig, out, "learning_curves")


def draw(summary: Summary, out: Path) -> Dict[str, Path]:
    """All plots into ``out``; returns caption -> PNG path (a plot with nothing to show is skipped)."""
    out.mkdir(parents=True, exist_ok=True)
    paths: Dict[str, Path] = {}
    paths.update(_pareto(summary, out))
    paths.update(_bars(summary, out))
    c = _curves(summary, out)
    if c:
        paths["Learning curves"] = c
    return paths


__all__ = ["draw", "pareto_front", "by_benchmark", "VECTOR_FORMATS"]
