"""What makes runs comparable: the group key of a run, the headline figures of its benchmark, and the
warnings a group deserves.

Averaging runs is only honest over runs that differ by their seed alone.  The default ``group_by`` is
therefore :data:`COMPARABLE`: benchmark, dataset (name and scale; its DVC digest shown, and a group
holding two digests flagged), model variant, the options and hyperparameters that differ between the
selected runs of a benchmark, hardware profile and rules division.  These five derived keys are computed
here; any other ``group_by`` entry is a tag or a dotted param, as before.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from sciml_mlflow.report.schema import FigureSpec
from sciml_mlflow.tracking.runstore import RunRecord

COMPARABLE = ["benchmark", "dataset", "model", "options", "hardware", "rules"]
NONE = "-"
OPTION_PREFIXES = ("benchmark.options.", "benchmark.training.")  # the science settings of a run
HEADLINE_PARAM = "benchmark.headline"  # the card's headline metrics, as the run recorded them (JSON list)
LOWER_IS_BETTER = ("loss", "mse", "mae", "rmse", "error")


def _benchmark(run: RunRecord) -> str:
    return run.tags.get("benchmark") or run.params.get("benchmark.name") or NONE


def varying_options(runs: Iterable[RunRecord]) -> Dict[str, List[str]]:
    """Per benchmark, the option/hyperparameter params whose values differ between its runs."""
    values: Dict[str, Dict[str, set]] = {}
    members: Dict[str, List[RunRecord]] = {}
    for run in runs:
        members.setdefault(_benchmark(run), []).append(run)
    out: Dict[str, List[str]] = {}
    for bench, rs in members.items():
        keys = sorted({k for r in rs for k in r.params if k.startswith(OPTION_PREFIXES)})
        values[bench] = {k: {r.params.get(k) for r in rs} for k in keys}
        out[bench] = [k for k in keys if len(values[bench][k]) > 1]
    return out


def key_value(run: RunRecord, key: str, varying: Mapping[str, Sequence[str]]) -> str:
    """The run's value of group key ``key`` (a derived key of :data:`COMPARABLE`, else a tag or param)."""
    if key == "dataset":
        name = run.tags.get("dataset.name") or run.params.get("benchmark.dataset.name")
        scale = run.tags.get("dataset.scale") or run.params.get("benchmark.dataset.scale")
        return f"{name}/{scale}" if name and scale else NONE
    if key == "model":
        return run.params.get("benchmark.model") or NONE
    if key == "options":
        keys = varying.get(_benchmark(run), ())
        return ", ".join(f"{k.rsplit('.', 1)[-1]}={run.params.get(k, NONE)}" for k in keys) or NONE
    if key == "rules":
        return run.tags.get("compliance.division") or NONE
    return run.get(key, NONE) or NONE


def flags(runs: Sequence[RunRecord]) -> List[str]:
    """What makes a group's average suspect: a seed used twice, runs on different data."""
    out: List[str] = []
    seeds = Counter(r.tags.get("seed", NONE) for r in runs)
    dup = sorted((s for s, n in seeds.items() if n > 1), key=lambda s: (len(s), s))
    if dup:
        out.append("duplicate seed " + ", ".join(f"{s} (x{seeds[s]})" for s in dup))
    digests = sorted({r.tags.get("dataset.digest", NONE) for r in runs})
    if len(digests) > 1:
        out.append("mixed datasets: " + ", ".join(d[:8] for d in digests))
    return out


def dataset_label(value: str, runs: Sequence[RunRecord]) -> str:
    """``name/scale @digest`` when the group's runs share one digest (the flag says when they do not)."""
    digests = {r.tags.get("dataset.digest") for r in runs}
    if value != NONE and len(digests) == 1 and None not in digests:
        return f"{value} @{next(iter(digests))[:8]}"
    return value


def headline_metrics(runs: Iterable[RunRecord]) -> Dict[str, List[str]]:
    """Per benchmark, the headline metrics its card names (the first run's record of them)."""
    out: Dict[str, List[str]] = {}
    for run in runs:
        bench = _benchmark(run)
        if bench in out or HEADLINE_PARAM not in run.params:
            continue
        try:
            names = json.loads(run.params[HEADLINE_PARAM])
        except ValueError:
            names = [n.strip(" '\"") for n in run.params[HEADLINE_PARAM].strip("[]").split(",")]
        out[bench] = [str(n) for n in names if str(n)]
    return out


def headline_figures(existing: Sequence[FigureSpec], headlines: Mapping[str, Sequence[str]]) -> List[FigureSpec]:
    """Metric figures for the headline metrics no configured figure already shows."""
    shown = {f.metric for f in existing if f.kind == "metric"} | {f.name for f in existing}
    out: List[FigureSpec] = []
    for bench, names in sorted(headlines.items()):
        for name in names:
            if name in shown:
                continue
            shown.add(name)
            better = "lower" if any(w in name for w in LOWER_IS_BETTER) else "higher"
            out.append(FigureSpec(name=name, kind="metric", metric=name, better=better,
                                  description=f"{bench} headline metric (its card's `headline`)"))
    return out


def group_keys(runs: Sequence[RunRecord], by: Sequence[str]) -> Dict[str, Tuple[str, ...]]:
    """run id -> its group key over ``by``."""
    varying = varying_options(runs)
    return {r.run_id: tuple(key_value(r, k, varying) for k in by) for r in runs}


def benchmark_of(key: Tuple[str, ...], by: Sequence[str], runs: Sequence[RunRecord]) -> Optional[str]:
    if "benchmark" in by:
        return key[list(by).index("benchmark")]
    return _benchmark(runs[0]) if runs else None


__all__ = ["COMPARABLE", "varying_options", "key_value", "flags", "dataset_label", "headline_metrics",
           "headline_figures", "group_keys", "benchmark_of"]
