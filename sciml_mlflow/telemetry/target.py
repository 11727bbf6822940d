"""Time (and energy) to the benchmark card's target quality, watched in the framework.

The watcher listens to metrics logged through the run's MetricLogger, so no benchmark has to check its
own target: the first time ``target.metric`` reaches ``target.value`` it logs ``time_to_target_s`` and
``energy_to_target_joules`` (where energy is measured), and tags ``target.reached``.

The clock is MLPerf's time-to-train clock: it starts when the benchmark's entry point is called
(``start_clock``), so initialisation and data staging — a download or a generation that may take longer
than the training — are excluded; they stay visible as ``time/data_staging_s``.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Callable, Optional

log = logging.getLogger(__name__)


class TargetWatcher:
    def __init__(self, target: Any, metrics: Any, t0: float, energy: Callable[[], Optional[float]] = lambda: None,
                 clock: Callable[[], float] = time.perf_counter) -> None:
        self.target = target
        self._metrics = metrics
        self._t0 = t0
        self._energy = energy
        self._clock = clock
        self.reached_at_s: Optional[float] = None
        self.reached_step: Optional[int] = None
        self._j0: Optional[float] = None

    def start_clock(self, t0: float) -> None:
        """Restart the clock (and the energy baseline) at ``t0``: the benchmark's run_start."""
        self._t0 = t0
        self._j0 = self._energy()

    def __call__(self, name: str, value: float, step: int) -> None:
        """MetricLogger listener for ``target.metric``."""
        if self.reached_at_s is not None or not self.target.reached(value):
            return
        self.reached_at_s = self._clock() - self._t0
        self.reached_step = step
        values = {"time_to_target_s": self.reached_at_s}
        joules = self._energy()
        if joules is not None:
            values["energy_to_target_joules"] = joules - (self._j0 or 0.0)
        log.info("target %s %s %s reached at step %d after %.3f s", self.target.metric,
                 ">=" if self.target.mode == "max" else "<=", self.target.value, step, self.reached_at_s)
        self._metrics.log_dict(values, step=step)
