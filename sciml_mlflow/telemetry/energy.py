"""Turning what the hardware reports into joules.

Two shapes of measurement exist: a monotonic energy *counter* that wraps at a known range (RAPL's
``energy_uj`` / ``max_energy_range_uj``, NVML's total-energy counter), and a *power* reading in watts
that has to be integrated over time (GPUs without an energy counter).  Both are small stateful objects so
collectors stay a few lines long and the maths is tested on synthetic traces.
"""

from __future__ import annotations

from typing import Optional, Sequence


class PowerIntegrator:
    """Energy (J) from power samples (W) by the trapezoid rule.

    The trapezoid is exact for piecewise-linear power and unbiased for noise, unlike a left/right
    Riemann sum which drifts by half a sample of power per interval at every step change.
    """

    def __init__(self) -> None:
        self.joules = 0.0
        self._t: Optional[float] = None
        self._w: Optional[float] = None

    def add(self, t: float, watts: float) -> float:
        """Add a power sample taken at monotonic time ``t`` (s); return the energy so far (J)."""
        if self._t is not None and self._w is not None and t > self._t:
            self.joules += 0.5 * (watts + self._w) * (t - self._t)
        if self._t is None or t >= self._t:
            self._t, self._w = t, watts
        return self.joules


def integrate(times: Sequence[float], watts: Sequence[float]) -> float:
    """Energy (J) of a whole power trace; ``times`` in seconds, ascending."""
    if len(times) != len(watts):
        raise ValueError(f"power trace has {len(times)} times but {len(watts)} readings; expected equal lengths")
    acc = PowerIntegrator()
    for t, w in zip(times, watts):
        acc.add(t, w)
    return acc.joules


class WrappingCounter:
    """Accumulates a hardware counter that restarts at zero after ``max_range``.

    RAPL's package counter wraps every few minutes to hours depending on load (a 32-bit-ish µJ range);
    a reading lower than the previous one means exactly one wrap as long as samples are taken more often
    than the wrap period, which any interval under a minute guarantees.
    """

    def __init__(self, first: int, max_range: Optional[int] = None) -> None:
        self._last = first
        self._max = max_range
        self.total = 0  # counter units since construction

    def update(self, raw: int) -> int:
        """Feed a new raw reading; return the units accumulated since construction."""
        delta = raw - self._last
        if delta < 0:
            # Wrapped (or reset): count up to the range's end, then from zero.  Without a known range the
            # best estimate is the new reading itself.
            delta = (self._max - self._last + raw) if self._max else raw
        self.total += delta
        self._last = raw
        return self.total
