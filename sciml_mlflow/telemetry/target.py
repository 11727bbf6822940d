"""Time (and energy) to the benchmark card's target quality: the ONE definition, used by the run, the
report, the MLLOG log and the submission export.

Definition (MLPerf time-to-train; docs/rules.md "Time to target"):

- the window opens at **run_start**: the wall clock (ms since the epoch) when the framework calls the
  benchmark's entry point, after data staging and seeding (MLPerf: staging and initialisation are not
  timed).  It is stored on the run as the tag ``time.run_start_ms``;
- the window closes at the **end of the evaluation that first reaches the target**: the store timestamp
  of the target metric's row at the first step whose value reaches ``target.value`` (benchmarks log the
  evaluation's metrics the moment it ends);
- ``time_to_target_s = (reach_ms - run_start_ms) / 1000``; ``energy_to_target_joules`` is the energy
  over the same window;
- MLPerf HPC's variant (HPC v1.0/v2.0, where data staging is timed) is logged under its own name,
  ``time_to_target_with_staging_s``: the same end, the window opening when data staging started.

The run logs these in the telemetry session's exit (after the metric buffer is flushed, from the rows
the store holds), so the report, recomputing them from the same rows with these functions, agrees to
the millisecond.  Energy at the run is read from the live counters at the two instants; the report
interpolates the stored cumulative samples at the same instants.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence, Tuple

from sciml_mlflow.tracking import metric_keys

log = logging.getLogger(__name__)

RUN_START_TAG = "time.run_start_ms"  # wall-clock ms of run_start (the benchmark's entry point)
STAGING_METRIC = metric_keys.STAGING_TIME  # the data_staging phase (its row is logged when staging ends)
TIME_TO_TARGET = "time_to_target_s"
ENERGY_TO_TARGET = "energy_to_target_joules"
TIME_TO_TARGET_WITH_STAGING = "time_to_target_with_staging_s"

Point = Tuple[int, float, int]  # (step, value, timestamp ms), as the store returns metric rows


def reached(value: float, threshold: float, mode: str) -> bool:
    """Whether ``value`` meets the target ``threshold`` (``mode`` max: at least; min: at most)."""
    return value >= threshold if mode == "max" else value <= threshold


@dataclass(frozen=True)
class Reach:
    """The evaluation that first reached the target."""

    step: int
    value: float
    timestamp_ms: int  # when its metric row was logged: the end of that evaluation


def first_reach(points: Iterable[Point], threshold: float, mode: str) -> Optional[Reach]:
    """The first row (by step, then time) of a metric history that reaches the target; None if none does."""
    for step, value, ts in sorted(points, key=lambda p: (p[0], p[2])):
        if value == value and reached(value, threshold, mode):  # value == value: NaN never reaches
            return Reach(int(step), float(value), int(ts))
    return None


def seconds_between(start_ms: float, end_ms: float) -> float:
    """Seconds between two wall-clock instants in ms (the one conversion every figure uses)."""
    return (float(end_ms) - float(start_ms)) / 1000.0


def run_start_ms(tags: Mapping[str, str]) -> Optional[int]:
    """run_start of a run from its tags; None for runs recorded before the tag existed."""
    text = tags.get(RUN_START_TAG)
    try:
        return None if text is None else int(text)
    except ValueError:
        return None


def staging_window(points: Sequence[Point]) -> Optional[Tuple[int, int]]:
    """(start, end) ms of data staging from the ``system/time_data_staging_s`` rows: the first row ends the
    phase and its value is how long it took."""
    if not points:
        return None
    _step, seconds, ts = sorted(points, key=lambda p: p[2])[0]
    return int(round(ts - seconds * 1000.0)), int(ts)


def time_to_target(start_ms: Optional[int], reach: Optional[Reach]) -> Optional[float]:
    """The figure: seconds from ``start_ms`` to the end of the reaching evaluation (None when unknown)."""
    if start_ms is None or reach is None:
        return None
    return seconds_between(start_ms, reach.timestamp_ms)


def energy_between(samples: Sequence[Point], start_ms: float, end_ms: float) -> Optional[float]:
    """Joules between two instants from cumulative energy samples, linearly interpolated (None: < 2 samples)."""
    if not samples or len(samples) < 2:
        return None
    import numpy as np

    ts = np.array([p[2] for p in samples], dtype=float)
    es = np.array([p[1] for p in samples], dtype=float)
    order = np.argsort(ts, kind="stable")
    ts, es = ts[order], es[order]
    return float(np.interp(end_ms, ts, es) - np.interp(start_ms, ts, es))


class TargetWatcher:
    """Watches the target metric live (a MetricLogger listener): notes the step that first reaches the
    target and the energy counter at that moment, so the session can log the figures at its exit."""

    def __init__(self, target: Any, metrics: Any, energy: Callable[[], Optional[float]] = lambda: None) -> None:
        self.target = target
        self._metrics = metrics
        self._energy = energy
        self.run_start_ms: Optional[int] = None
        self.reached_step: Optional[int] = None
        self.joules_at_start: Optional[float] = None
        self.joules_at_reach: Optional[float] = None

    def start_clock(self, start_ms: int) -> None:
        """run_start: the window (and the energy baseline) opens at ``start_ms``."""
        self.run_start_ms = int(start_ms)
        self.joules_at_start = self._energy()

    def __call__(self, name: str, value: float, step: int) -> None:
        """MetricLogger listener for ``target.metric``."""
        if self.reached_step is not None or not reached(value, self.target.value, self.target.mode):
            return
        self.reached_step = int(step)
        self.joules_at_reach = self._energy()
        log.info("target %s %s %s reached at step %d", self.target.metric,
                 ">=" if self.target.mode == "max" else "<=", self.target.value, step)

    def figures(self, history: Sequence[Point], staging: Sequence[Point] = ()) -> Tuple[Optional[Reach], dict]:
        """The run's figures from the stored rows of the target metric (and of data staging)."""
        reach = first_reach(history, self.target.value, self.target.mode)
        values: dict = {}
        ttt = time_to_target(self.run_start_ms, reach)
        if ttt is None or reach is None:
            return reach, values
        values[TIME_TO_TARGET] = ttt
        window = staging_window(staging)
        if window is not None:
            values[TIME_TO_TARGET_WITH_STAGING] = seconds_between(window[0], reach.timestamp_ms)
        if self.joules_at_reach is not None and self.joules_at_start is not None and reach.step == self.reached_step:
            values[ENERGY_TO_TARGET] = self.joules_at_reach - self.joules_at_start
        return reach, values


__all__ = ["TargetWatcher", "Reach", "first_reach", "time_to_target", "seconds_between", "run_start_ms",
           "staging_window", "energy_between", "reached", "RUN_START_TAG", "STAGING_METRIC", "TIME_TO_TARGET",
           "ENERGY_TO_TARGET", "TIME_TO_TARGET_WITH_STAGING"]
