"""Aggregating a figure over a group of runs: mean with a Student-t confidence interval, and MLPerf's
olympic score.

Olympic scoring (MLPerf training rules): sort the N run times, drop the fastest and the slowest, and
average the rest.  A run that did not converge counts as infinitely slow: one such run may be the
dropped slowest; two or more invalidate the result.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import List, Optional, Sequence

MIN_OLYMPIC_RUNS = 3  # fewer runs leave nothing to average once fastest and slowest are dropped


@dataclass(frozen=True)
class Aggregate:
    """A group's value of one figure."""

    value: Optional[float]  # None: invalid or nothing measured
    ci: Optional[float] = None  # half-width of the confidence interval (mean_ci)
    n: int = 0  # runs that contributed
    n_total: int = 0  # runs in the group
    note: str = ""  # why invalid, or what was dropped

    @property
    def valid(self) -> bool:
        return self.value is not None and not math.isnan(self.value)


def mean_ci(values: Sequence[float], confidence: float = 0.95) -> tuple[float, Optional[float]]:
    """Mean and the half-width of its ``confidence`` interval (t distribution, n-1 dof); None for n < 2."""
    n = len(values)
    mean = statistics.fmean(values)
    if n < 2:
        return mean, None
    from scipy import stats

    sem = statistics.stdev(values) / math.sqrt(n)
    return mean, float(stats.t.ppf(0.5 + confidence / 2, n - 1) * sem)


def olympic(values: Sequence[Optional[float]]) -> Aggregate:
    """Olympic mean of run times; ``None`` marks a run that did not converge."""
    total = len(values)
    ok = sorted(v for v in values if v is not None and not math.isnan(v))
    failed = total - len(ok)
    if total < MIN_OLYMPIC_RUNS:
        return Aggregate(None, n=0, n_total=total, note=f"needs >= {MIN_OLYMPIC_RUNS} runs, has {total}")
    if failed > 1:
        return Aggregate(None, n=0, n_total=total, note=f"invalid: {failed} runs did not converge (at most 1 may)")
    kept = ok[1:] if failed == 1 else ok[1:-1]
    note = "dropped fastest and the non-converged run" if failed == 1 else "dropped fastest and slowest"
    return Aggregate(statistics.fmean(kept), n=len(kept), n_total=total, note=note)


def aggregate(kind: str, values: Sequence[Optional[float]], confidence: float = 0.95) -> Aggregate:
    """Aggregate per-run values (None = not converged / not measured) with ``kind`` (schema.AGGREGATES)."""
    if kind == "olympic":
        return olympic(values)
    ok: List[float] = [v for v in values if v is not None and not math.isnan(v)]
    missing = len(values) - len(ok)
    note = f"{missing} run(s) without a value" if missing else ""
    if not ok:
        return Aggregate(None, n=0, n_total=len(values), note=note or "no runs")
    ci = None
    if kind == "mean_ci":
        value, ci = mean_ci(ok, confidence)
    elif kind == "median":
        value = statistics.median(ok)
    elif kind == "min":
        value = min(ok)
    elif kind == "max":
        value = max(ok)
    elif kind == "sum":
        value = math.fsum(ok)
    else:
        raise ValueError(f"unknown aggregate {kind!r}")
    return Aggregate(value, ci, len(ok), len(values), note)


__all__ = ["Aggregate", "mean_ci", "olympic", "aggregate", "MIN_OLYMPIC_RUNS"]
