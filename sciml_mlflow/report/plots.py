"""PNG plots of a report: quality vs time-to-solution with the Pareto front, per-group bars with error
bars, learning curves.  matplotlib with the Agg backend (headless clusters have no display)."""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from sciml_mlflow.report.summary import Summary

log = logging.getLogger(__name__)


def _plt() -> Any:
    import matplotlib  # heavy: imported only when plotting

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _label(key: Tuple[str, ...]) -> str:
    return " / ".join(key)


def pareto_front(points: List[Tuple[float, float]], y_higher: bool = True) -> List[Tuple[float, float]]:
    """Non-dominated points for minimising x and maximising (or minimising) y, sorted by x."""
    front: List[Tuple[float, float]] = []
    best = -math.inf if y_higher else math.inf
    for x, y in sorted(points, key=lambda p: (p[0], -p[1] if y_higher else p[1])):
        if (y > best) if y_higher else (y < best):
            front.append((x, y))
            best = y
    return front


def _pareto(summary: Summary, out: Path) -> Optional[Path]:
    cfg = summary.cfg
    figs = {f.name: f for f in summary.figures}
    xname = cfg.pareto_x if cfg.pareto_x in figs else None
    yname = cfg.pareto_y or next((f.name for f in summary.figures if f.better == "higher"), None)
    if xname is None or yname not in figs:
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    points = []
    for g in summary.groups:
        xs = [g.values[r.run_id][xname].value for r in g.runs]
        ys = [g.values[r.run_id][yname].value for r in g.runs]
        run_pts = [(x, y) for x, y in zip(xs, ys) if x is not None and y is not None]
        if run_pts:
            ax.scatter(*zip(*run_pts), s=12, alpha=0.35)
        ax_, ay = g.aggregates[xname], g.aggregates[yname]
        if ax_.valid and ay.valid:
            points.append((float(ax_.value), float(ay.value)))  # type: ignore[arg-type]
            ax.scatter([ax_.value], [ay.value], s=60, marker="D", edgecolor="black", zorder=3)
            ax.annotate(_label(g.key), (ax_.value, ay.value), fontsize=7, xytext=(4, 4), textcoords="offset points")
    front = pareto_front(points, figs[yname].better == "higher")  # type: ignore[index]
    if front:
        ax.step(*zip(*front), where="post", color="black", linestyle="--", linewidth=1, label="Pareto front")
        ax.legend(loc="best", fontsize=8)
    ax.set_xlabel(f"{xname} [{figs[xname].unit}]" if figs[xname].unit else xname)
    ax.set_ylabel(yname)
    ax.set_title("Quality vs time to solution (groups: diamonds; runs: dots)")
    ax.grid(alpha=0.3)
    path = out / "pareto.png"
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def _bars(summary: Summary, out: Path) -> List[Path]:
    names = summary.cfg.bars or [f.name for f in summary.figures if f.aggregate in ("mean_ci", "olympic")]
    plt = _plt()
    paths = []
    for name in names:
        spec = next((f for f in summary.figures if f.name == name), None)
        groups = [g for g in summary.groups if g.aggregates.get(name) is not None and g.aggregates[name].valid]
        if spec is None or not groups:
            continue
        fig, ax = plt.subplots(figsize=(max(6.0, 1.1 * len(groups) + 2), 4))
        vals = [float(g.aggregates[name].value) for g in groups]  # type: ignore[arg-type]
        errs = [g.aggregates[name].ci or 0.0 for g in groups]
        ax.bar(range(len(groups)), vals, yerr=errs, capsize=4, color="#4C78A8")
        ax.set_xticks(range(len(groups)))
        ax.set_xticklabels([_label(g.key) for g in groups], rotation=30, ha="right", fontsize=8)
        ax.set_ylabel(f"{name} [{spec.unit}]" if spec.unit else name)
        what = "olympic mean" if spec.aggregate == "olympic" else f"mean ± {summary.cfg.confidence:.0%} CI"
        ax.set_title(f"{name} per group ({what})")
        ax.grid(axis="y", alpha=0.3)
        fig.tight_layout()
        path = out / f"bars_{_safe(name)}.png"
        fig.savefig(path, dpi=100)
        plt.close(fig)
        paths.append(path)
    return paths


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)


def _curves(summary: Summary, out: Path) -> Optional[Path]:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    drawn = set()
    for i, g in enumerate(summary.groups):
        color = f"C{i % 10}"
        for j, r in enumerate(g.runs[: summary.cfg.curve_max_runs]):
            metric = summary.cfg.curve_metric or r.params.get("benchmark.target.metric")
            hist = r.history.get(metric or "")
            if not hist:
                continue
            drawn.add(metric)
            ax.plot([p[0] for p in hist], [p[1] for p in hist], color=color, alpha=0.6, linewidth=1,
                    label=_label(g.key) if j == 0 else None)
    if not drawn:
        plt.close(fig)
        return None
    ax.set_xlabel("epoch")
    ax.set_ylabel(", ".join(sorted(d for d in drawn if d)))
    ax.set_title(f"Learning curves (one line per run, first {summary.cfg.curve_max_runs} runs per group)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    path = out / "learning_curves.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def draw(summary: Summary, out: Path) -> Dict[str, Path]:
    """All plots into ``out``; returns name -> path (a plot with nothing to show is skipped)."""
    out.mkdir(parents=True, exist_ok=True)
    paths: Dict[str, Path] = {}
    p = _pareto(summary, out)
    if p:
        paths["Quality vs time to solution"] = p
    for b in _bars(summary, out):
        paths[f"Per-group {b.stem[5:]}"] = b
    c = _curves(summary, out)
    if c:
        paths["Learning curves"] = c
    return paths


__all__ = ["draw", "pareto_front"]
