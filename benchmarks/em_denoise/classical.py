"""The classical baseline a learned denoiser has to beat: a median then Gaussian filter, tuned on train.

The median (3x3) removes dead pixels, which would otherwise be smeared into dark halos; the Gaussian
trades shot noise for resolution.  Both knobs are chosen by MSE against the clean truth of *training*
images only, so the baseline is as strong as a careful practitioner's, and never sees the test set.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy import ndimage

from . import quality

log = logging.getLogger(__name__)

SIGMAS: Sequence[float] = (0.0, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 4.0)
MEDIAN_SIZES: Sequence[int] = (1, 3)  # 1 = no median


@dataclass(frozen=True)
class Filter:
    """A tuned filter: ``median_size`` (1 = none) followed by a Gaussian of ``sigma`` pixels (0 = none)."""

    median_size: int
    sigma: float

    def apply(self, images: np.ndarray) -> np.ndarray:
        """Filter a (N, H, W) stack image by image (no mixing across the batch axis)."""
        out = np.asarray(images, dtype=np.float32)
        if self.median_size > 1:
            out = ndimage.median_filter(out, size=(1, self.median_size, self.median_size), mode="reflect")
        if self.sigma > 0:
            out = ndimage.gaussian_filter(out, sigma=(0, self.sigma, self.sigma), mode="reflect")
        return out


def tune(noisy: np.ndarray, clean: np.ndarray) -> Filter:
    """The (median size, sigma) with the lowest mean MSE on these (training) pairs."""
    best, best_mse = Filter(1, 0.0), np.inf
    for m in MEDIAN_SIZES:
        pre = Filter(m, 0.0).apply(noisy)
        for s in SIGMAS:
            mse = float(quality.mse_per_image(Filter(1, s).apply(pre), clean).mean())
            if mse < best_mse:
                best, best_mse = Filter(m, s), mse
    log.info("em_denoise: classical filter tuned on %d training images: median %d, sigma %.2f (MSE %.3g)",
             len(noisy), best.median_size, best.sigma, best_mse)
    return best


__all__ = ["Filter", "tune", "SIGMAS", "MEDIAN_SIZES"]
