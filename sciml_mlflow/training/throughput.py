"""Throughput with warm-up excluded: the number every benchmark reports the same way."""

from __future__ import annotations

import time
from typing import Optional


class ThroughputMeter:
    """Items per second over the batches that count.

    ``start()`` before a loop, ``tick(n, counted)`` after each batch (after ``synchronize`` on a GPU, so
    the time is the work's, not the launch's).  Batches with ``counted=False`` — the warm-up: first-call
    allocation, cuDNN autotuning, page faults — advance the clock without counting.
    """

    def __init__(self) -> None:
        self.items = 0
        self.seconds = 0.0
        self._last: Optional[float] = None

    def start(self) -> None:
        self._last = time.perf_counter()

    def tick(self, n: int, counted: bool = True) -> None:
        now = time.perf_counter()
        if counted and self._last is not None:
            self.items += n
            self.seconds += now - self._last
        self._last = now

    @property
    def rate(self) -> Optional[float]:
        """Items per second, or None before any counted batch."""
        return self.items / self.seconds if self.seconds > 0 else None
