"""Image-quality scores of a denoised image against its CLEAN ground truth.

The original benchmark scored inference against the noisy input, which rewards doing nothing; every
function here takes the clean truth as its reference and has no way to receive the noisy image.

Conventions (stated because PSNR/SSIM numbers are meaningless without them):

- ``data_range`` is explicit: 1.0 for the generated data (clean images lie in [0, 1]); for the real data
  the benchmark passes the maximum of the clean training images.
- PSNR is computed per image, ``10 log10(data_range**2 / MSE)``, then averaged over images (inf when
  an image is reproduced exactly): ``<prefix>_psnr``.  ``<prefix>_psnr_pooled`` is the PSNR of the MSE
  pooled over every pixel of the split (``10 log10(data_range**2 / mean MSE)``), which weights bad images
  less than the per-image mean does.  (The original averaged per-*batch* PSNRs with a peak of 255 on data
  in [0, 1], which depends on the batch size; neither is that.)
- SSIM is scikit-image's ``structural_similarity`` with the Gaussian-weighted 11x11 window of Wang et al.
  (2004): ``gaussian_weights=True, sigma=1.5, use_sample_covariance=False``.
"""

from __future__ import annotations

from typing import Dict

import numpy as np


def mse_per_image(pred: np.ndarray, clean: np.ndarray) -> np.ndarray:
    """Mean squared error of each (H, W) image of a (N, H, W) batch, in float64."""
    diff = np.asarray(pred, dtype=np.float64) - np.asarray(clean, dtype=np.float64)
    return np.mean(diff * diff, axis=(-2, -1))


def psnr_per_image(pred: np.ndarray, clean: np.ndarray, data_range: float) -> np.ndarray:
    """Peak signal-to-noise ratio in dB of each image (inf where the image is exact)."""
    if data_range <= 0:
        raise ValueError(f"em_denoise: data_range must be positive, got {data_range}")
    mse = mse_per_image(pred, clean)
    with np.errstate(divide="ignore"):
        return 10.0 * np.log10(data_range**2 / mse)


def ssim_per_image(pred: np.ndarray, clean: np.ndarray, data_range: float) -> np.ndarray:
    """SSIM of each image (Wang et al. 2004 settings, scikit-image implementation)."""
    from skimage.metrics import (
        structural_similarity,  # imported lazily: skimage's import is slow
    )

    return np.array([
        structural_similarity(c, p, data_range=data_range, gaussian_weights=True, sigma=1.5,
                              use_sample_covariance=False)
        for p, c in zip(np.asarray(pred, dtype=np.float64), np.asarray(clean, dtype=np.float64))
    ])


def summary(pred: np.ndarray, clean: np.ndarray, data_range: float, prefix: str, ssim: bool = True) -> Dict[str, float]:
    """``{prefix}_mse``, ``{prefix}_psnr`` (mean over images), ``{prefix}_psnr_pooled`` (of the pooled MSE) and
    ``{prefix}_ssim`` against the clean truth."""
    mse = float(mse_per_image(pred, clean).mean())
    out = {
        f"{prefix}_mse": mse,
        f"{prefix}_psnr": float(psnr_per_image(pred, clean, data_range).mean()),
        f"{prefix}_psnr_pooled": float(10.0 * np.log10(data_range**2 / mse)) if mse > 0 else float("inf"),
    }
    if ssim:
        out[f"{prefix}_ssim"] = float(ssim_per_image(pred, clean, data_range).mean())
    return out


__all__ = ["mse_per_image", "psnr_per_image", "ssim_per_image", "summary"]
