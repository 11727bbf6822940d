"""Data access of the DMS benchmark: splits in memory or streamed from HDF5, batch loaders, input
statistics, and the predictions file inference writes."""

from __future__ import annotations

import csv
import logging
from pathlib import Path
from typing import Any, List, Tuple, Union

import numpy as np
import torch

from . import dataset
from .dataset import H5Split

log = logging.getLogger(__name__)

IN_MEMORY_LIMIT_BYTES = 6 * 2**30  # larger splits are streamed from the HDF5 file batch by batch
STATS_SAMPLES = 512  # patterns used for the normalisation statistics


class H5Patterns(torch.utils.data.Dataset):
    """A split streamed from the HDF5 file; indexed by a *list* of indices so one read fetches a batch."""

    def __init__(self, split: H5Split) -> None:
        self.split = split
        self.n = len(split)
        self.labels = torch.from_numpy(split.labels())
        self._file: Any = None  # opened lazily, once per DataLoader worker

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, idx: List[int]) -> Tuple[torch.Tensor, torch.Tensor]:
        import h5py  # only the streamed path needs it here

        if self._file is None:
            self._file = h5py.File(self.split.path, "r")
        order = np.argsort(idx)
        sorted_idx = np.asarray(idx)[order]
        images = self._file[f"{self.split.split}/images"][sorted_idx]
        images = images[np.argsort(order)]
        return torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32)), self.labels[idx]


class InMemory(torch.utils.data.Dataset):
    def __init__(self, images: torch.Tensor, labels: torch.Tensor) -> None:
        self.images, self.labels = images, labels

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, idx: List[int]) -> Tuple[torch.Tensor, torch.Tensor]:
        return self.images[idx], self.labels[idx]


Patterns = Union[H5Patterns, InMemory]


def open_split(path: Path, split: str) -> Patterns:
    """Read a split into memory (a chunk at a time) when it fits, otherwise stream it."""
    part = H5Split(path, split)
    n = len(part)
    nbytes = n * int(np.prod(dataset.SHAPE)) * 4
    if nbytes > IN_MEMORY_LIMIT_BYTES:
        log.info("dms_structure: streaming %s (%d patterns, %.1f GB) from %s", split, n, nbytes / 1e9, path)
        return H5Patterns(part)
    images = torch.empty((n,) + dataset.SHAPE, dtype=torch.float32)
    for start, chunk in part.iter_chunks():
        images[start : start + len(chunk)] = torch.from_numpy(chunk)
    return InMemory(images, torch.from_numpy(part.labels()))


def loader(data: Patterns, indices: np.ndarray, batch_size: int, shuffle: bool, seed: int,
           workers: int) -> torch.utils.data.DataLoader:
    """Batches of ``indices``; each batch is fetched with one indexing call (no per-sample collation)."""
    gen = torch.Generator().manual_seed(seed)
    base = torch.utils.data.SubsetRandomSampler(indices.tolist(), generator=gen) if shuffle else indices.tolist()
    sampler = torch.utils.data.BatchSampler(base, batch_size=batch_size, drop_last=False)
    return torch.utils.data.DataLoader(
        data, sampler=sampler, batch_size=None, num_workers=workers if isinstance(data, H5Patterns) else 0)


def channel_stats(data: Patterns, indices: np.ndarray, rng: np.random.Generator) -> Tuple[List[float], List[float]]:
    """Per-channel mean and std of (a sample of) the training patterns: the model's input normalisation."""
    pick = np.sort(rng.choice(indices, size=min(STATS_SAMPLES, len(indices)), replace=False))
    total = torch.zeros(3, dtype=torch.float64)
    total_sq = torch.zeros(3, dtype=torch.float64)
    for s in range(0, len(pick), 64):
        x, _ = data[pick[s : s + 64].tolist()]
        x = x.double()
        total += x.sum(dim=(0, 1, 2))
        total_sq += (x * x).sum(dim=(0, 1, 2))
    count = len(pick) * dataset.SHAPE[0] * dataset.SHAPE[1]
    mean = total / count
    std = (total_sq / count - mean**2).clamp_min(1e-12).sqrt()
    return mean.tolist(), std.tolist()


def write_predictions(path: Path, logits: np.ndarray, pred: np.ndarray, true: np.ndarray, names: List[str],
                      multi_label: bool) -> None:
    """One row per test pattern: index, labels, predictions and probabilities (sigmoid or softmax)."""
    if multi_label:
        probs = 1.0 / (1.0 + np.exp(-logits))
        header = ["index"] + [f"{kind}_{n}" for kind in ("true", "pred", "prob") for n in names]
        rows = ([i, *t, *p, *q] for i, (t, p, q) in enumerate(zip(true, pred, probs)))
    else:
        z = np.exp(logits - logits.max(axis=1, keepdims=True))
        probs = z / z.sum(axis=1, keepdims=True)
        header = ["index", "true", "pred"] + [f"prob_{n}" for n in names]
        rows = ([i, t, p, *q] for i, (t, p, q) in enumerate(zip(true, pred, probs)))
    tmp = path.with_suffix(".csv.tmp")
    with tmp.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for row in rows:
            writer.writerow([f"{v:.6g}" if isinstance(v, (float, np.floating)) else int(v) for v in row])
    tmp.replace(path)
