"""The range a figure of merit can take, so intervals drawn around it never leave it.

A 95 % interval of a time is not allowed below 0 s, nor an accuracy's outside [0, 1]: the plotted
error bar is the interval intersected with the quantity's range (asymmetric where clipped).
"""

from __future__ import annotations

import math
from typing import Tuple

#: substrings of metric names that are fractions in [0, 1]
FRACTIONS = ("accuracy", "f1", "iou", "ssim", "precision", "recall", "dice", "fraction")
#: substrings or units of quantities that cannot be negative
NON_NEGATIVE = ("time", "_s", "energy", "joules", "throughput", "loss", "mse", "psnr", "samples", "watt")
NON_NEGATIVE_UNITS = ("s", "J", "W", "dB", "samples/s", "samples/J")


def value_range(name: str, kind: str = "metric", unit: str = "", metric: str = "") -> Tuple[float, float]:
    """``(low, high)`` of the quantity: [0, 1] for fractions, [0, inf) for times, energies, rates."""
    text = f"{name} {metric}".lower()
    if kind in ("metric",) and any(f in text for f in FRACTIONS) and "gain" not in text:
        return 0.0, 1.0
    if kind in ("time_to_target", "energy_to_target", "per_watt") or unit in NON_NEGATIVE_UNITS \
            or (any(n in text for n in NON_NEGATIVE) and "gain" not in text):
        return 0.0, math.inf
    return -math.inf, math.inf


def clipped_error(value: float, half_width: float, low: float, high: float) -> Tuple[float, float]:
    """(below, above) lengths of the interval ``value ± half_width`` intersected with [low, high]."""
    lo = max(low, value - half_width)
    hi = min(high, value + half_width)
    return max(0.0, value - lo), max(0.0, hi - value)


__all__ = ["value_range", "clipped_error", "FRACTIONS"]
