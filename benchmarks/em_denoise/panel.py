"""Difficulty panel of em_denoise: how far classical filters get, each tuned on training images only.

Why it exists: "the U-Net beats a filter" only means something when the filter is a good one.  Every
filter's knobs are chosen by mean MSE against the clean truth of ``TUNE_IMAGES`` *training* images, then
it is scored once on ``test/`` with the benchmark's PSNR (quality.psnr_per_image, data_range as training
uses it).  ``scripts/difficulty_panel.py`` runs it next to the trained model.

Learners:
- ``noisy_input``: no filter at all;
- ``gaussian``: a Gaussian of tuned sigma;
- ``median_gaussian``: a 1x1 or 3x3 median (dead pixels) then a tuned Gaussian: the benchmark's
  ``baseline_filter`` (classical.py);
- ``nl_means``: scikit-image's non-local means (``denoise_nl_means``, fast mode, 5x5 patches within
  +-6 pixels) after the tuned median, with its filter strength ``h`` tuned as a multiple of the noise
  level ``sigma`` (the rms of noisy - clean over the tuning images: train only) — a strong classical prior
  for a periodic lattice.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Dict, Sequence

import numpy as np

from . import classical, data, dataset, quality

log = logging.getLogger(__name__)

METRIC = "test_psnr"  # what the reference model logs for the same split
TUNE_IMAGES = 8  # training images every filter is tuned on (NL-means costs ~0.1 s per image and setting)
NLM_H: Sequence[float] = (0.4, 0.6, 0.8, 1.0, 1.3)  # h as a multiple of the estimated noise sigma


def _nl_means(images: np.ndarray, h_factor: float, sigma: float) -> np.ndarray:
    from skimage.restoration import denoise_nl_means

    out = np.empty_like(images, dtype=np.float32)
    for i, img in enumerate(np.asarray(images, dtype=np.float64)):
        out[i] = denoise_nl_means(img, patch_size=5, patch_distance=6, h=h_factor * sigma, sigma=sigma,
                                  fast_mode=True)
    return out


def learners(root: Path, seed: int = 0) -> Dict[str, float]:
    """Filter name -> mean test PSNR (dB) on the staged dataset at ``root``; every filter tuned on train."""
    noisy_tr, clean_tr = dataset.load_split(root, "train", limit=None)
    noisy_te, clean_te = dataset.load_split(root, "test")
    peak = data.data_range(root, clean_tr)
    pick = np.sort(np.random.default_rng(seed).choice(len(noisy_tr), size=min(TUNE_IMAGES, len(noisy_tr)),
                                                      replace=False))
    tn, tc = noisy_tr[pick], clean_tr[pick]
    psnr = lambda pred: float(quality.psnr_per_image(pred, clean_te, peak).mean())  # noqa: E731
    out: Dict[str, float] = {"noisy_input": psnr(noisy_te)}

    gauss = min(classical.SIGMAS, key=lambda s: quality.mse_per_image(classical.Filter(1, s).apply(tn), tc).mean())
    out["gaussian"] = psnr(classical.Filter(1, gauss).apply(noisy_te))
    filt = classical.tune(tn, tc)
    out["median_gaussian"] = psnr(filt.apply(noisy_te))

    pre_tr = classical.Filter(filt.median_size, 0.0).apply(tn)
    sigma = float(np.sqrt(quality.mse_per_image(pre_tr, tc).mean()))
    h = min(NLM_H, key=lambda k: quality.mse_per_image(_nl_means(pre_tr, k, sigma), tc).mean())
    out["nl_means"] = psnr(_nl_means(classical.Filter(filt.median_size, 0.0).apply(noisy_te), h, sigma))
    log.info("em_denoise panel: gaussian sigma %.2f, median %d + sigma %.2f, nl-means h = %.1f sigma",
             gauss, filt.median_size, filt.sigma, h)
    return out


__all__ = ["METRIC", "learners"]
