"""Data access of the EM denoising benchmark: the PSNR/SSIM peak, training crops, and image batches."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator, Tuple

import numpy as np
import torch

from . import dataset


def data_range(data_dir: Path, clean_train: np.ndarray) -> float:
    """The PSNR/SSIM peak: the generator's declared range, else the brightest clean training pixel."""
    declared = dataset.attributes(data_dir).get("data_range")
    return float(declared) if declared else float(np.max(clean_train))


def crops(noisy: torch.Tensor, clean: torch.Tensor, idx: np.ndarray, crop: int,
          rng: np.random.Generator) -> Tuple[torch.Tensor, torch.Tensor]:
    """Random crops of images ``idx`` with a random one of the 8 flips/rotations (the lattice has no
    preferred orientation and the beam is random, so these are exact symmetries of the data)."""
    h, w = noisy.shape[1:]
    if crop and crop < h:
        r = rng.integers(0, h - crop + 1, size=len(idx))
        c = rng.integers(0, w - crop + 1, size=len(idx))
        x = torch.stack([noisy[i, a : a + crop, b : b + crop] for i, a, b in zip(idx, r, c)])
        y = torch.stack([clean[i, a : a + crop, b : b + crop] for i, a, b in zip(idx, r, c)])
    else:
        x, y = noisy[idx], clean[idx]
    k, flip = int(rng.integers(0, 4)), bool(rng.integers(0, 2))
    x, y = torch.rot90(x, k, dims=(1, 2)), torch.rot90(y, k, dims=(1, 2))
    if flip:
        x, y = x.flip(2), y.flip(2)
    return x.unsqueeze(1), y.unsqueeze(1)


def crop_batches(noisy: torch.Tensor, clean: torch.Tensor, per_epoch: np.ndarray, batch_size: int, crop: int,
                 rng: np.random.Generator, shuffle: bool = True) -> Iterator[Tuple[torch.Tensor, torch.Tensor]]:
    """One epoch: the crop list (shuffled unless ``shuffle`` is off: ``fit`` orders a TrainSet itself), then
    (noisy, clean) crop batches in that order."""
    order = rng.permutation(per_epoch) if shuffle else per_epoch
    for s in range(0, len(order), batch_size):
        yield crops(noisy, clean, order[s : s + batch_size], crop, rng)


def image_batches(noisy: np.ndarray, scale: float, batch_size: int) -> Iterator[np.ndarray]:
    """(B, 1, H, W) float32 batches of whole images divided by ``scale`` (the data range)."""
    for s in range(0, len(noisy), batch_size):
        yield noisy[s : s + batch_size, None] / scale
