"""Data access of the SLSTR cloud benchmark: training patches (cached or streamed), the train/val/test
file split, flips, and the masks and per-scene scores inference writes."""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple

import h5py
import numpy as np
import torch

from . import dataset, tiling

IN_MEMORY_LIMIT_BYTES = 4 * 2**30  # larger training sets are streamed scene group by scene group
STREAM_SCENES = 16  # scenes shuffled together when streaming


class PatchSource:
    """The 20 training patches of each scene: cached in memory when they fit, else streamed per epoch."""

    def __init__(self, files: List[Path]) -> None:
        self.files = files
        self.per_scene = (dataset.HEIGHT // tiling.PATCH) * (dataset.WIDTH // tiling.PATCH)
        nbytes = len(files) * self.per_scene * dataset.N_CHANNELS * tiling.PATCH**2 * 4
        self.cached = nbytes <= IN_MEMORY_LIMIT_BYTES
        self._x: Optional[np.ndarray] = None
        self._y: Optional[np.ndarray] = None

    def __len__(self) -> int:
        return len(self.files) * self.per_scene

    @staticmethod
    def load(files: List[Path]) -> Tuple[np.ndarray, np.ndarray]:
        xs, ys = [], []
        for f in files:
            scene = dataset.read_scene(f)
            x, y = tiling.training_patches(scene.image(), scene.mask)
            xs.append(x)
            ys.append(y.astype(np.float32))
        return np.concatenate(xs), np.concatenate(ys)

    def preload(self) -> None:
        if self.cached and self._x is None and self.files:
            self._x, self._y = self.load(self.files)

    def n_batches(self, batch_size: int) -> int:
        if self.cached:
            return math.ceil(len(self) / batch_size)
        groups = [self.files[i : i + STREAM_SCENES] for i in range(0, len(self.files), STREAM_SCENES)]
        return sum(math.ceil(len(g) * self.per_scene / batch_size) for g in groups)

    @property
    def items(self) -> int:
        """What ``batches_of`` orders: patches when cached, scene files when streamed."""
        return len(self) if self.cached else len(self.files)

    def batches_of(self, order: np.ndarray, batch_size: int,
                   rng: np.random.Generator) -> Iterator[Tuple[np.ndarray, np.ndarray]]:
        """Training batches of the items ``order`` (``training.fit``'s epoch order, this rank's share under DDP):
        cached patches in that order; streamed scene files in that order, patches shuffled per scene group."""
        if self.cached:
            self.preload()
            for s in range(0, len(order), batch_size):
                sel = np.sort(order[s : s + batch_size])
                yield self._x[sel], self._y[sel]  # type: ignore[index]
            return
        files = [self.files[i] for i in order]
        for g in range(0, len(files), STREAM_SCENES):
            x, y = self.load(files[g : g + STREAM_SCENES])
            idx = rng.permutation(len(x))
            for s in range(0, len(idx), batch_size):
                sel = np.sort(idx[s : s + batch_size])
                yield x[sel], y[sel]

    def batches(self, batch_size: int, rng: Optional[np.random.Generator]) -> Iterator[Tuple[np.ndarray, np.ndarray]]:
        """Shuffled batches when ``rng`` is given, in file order otherwise."""
        if self.cached:
            self.preload()
            groups: List[Tuple[np.ndarray, np.ndarray]] = [(self._x, self._y)] if self._x is not None else []
        else:
            order = rng.permutation(len(self.files)) if rng is not None else np.arange(len(self.files))
            files = [self.files[i] for i in order]
            groups = (self.load(files[i : i + STREAM_SCENES]) for i in range(0, len(files), STREAM_SCENES))  # type: ignore[assignment]
        for x, y in groups:
            idx = rng.permutation(len(x)) if rng is not None else np.arange(len(x))
            for s in range(0, len(idx), batch_size):
                sel = np.sort(idx[s : s + batch_size])
                yield x[sel], y[sel]


def split_train_files(files: List[Path], train_fraction: float, validation_fraction: float,
                      rng: np.random.Generator) -> Tuple[List[Path], List[Path], List[Path], List[Path]]:
    """(train, fit, val, test) files: the original's file-level split, then a seeded validation share."""
    train_files, test_files = dataset.split_files(files, train_fraction)
    n_val = int(round(validation_fraction * len(train_files))) if validation_fraction > 0 else 0
    n_val = min(max(n_val, 1 if validation_fraction > 0 else 0), len(train_files) - 1)
    perm = rng.permutation(len(train_files))
    val_files = sorted(train_files[i] for i in perm[:n_val])
    fit_files = sorted(train_files[i] for i in perm[n_val:])
    return train_files, fit_files, val_files, test_files


def flip(x: torch.Tensor, y: torch.Tensor, rng: np.random.Generator) -> Tuple[torch.Tensor, torch.Tensor]:
    """Random horizontal/vertical flips of a whole batch (clouds have no preferred orientation)."""
    for dim in (-1, -2):
        if rng.uniform() < 0.5:
            x, y = x.flip(dim), y.flip(dim)
    return x, y


def write_mask(path: Path, prob: np.ndarray) -> Path:
    """One HDF5 per scene: ``mask`` (H, W, 1) uint8 (1 = cloud, the input's layout) and ``probability`` (H, W) float16."""
    tmp = path.with_name(f".{path.name}.tmp")
    with h5py.File(tmp, "w") as fh:
        fh.create_dataset("mask", data=(prob > 0.5).astype(np.uint8)[..., None], compression="gzip", compression_opts=4)
        fh.create_dataset("probability", data=prob.astype(np.float16), compression="gzip", compression_opts=1)
    tmp.replace(path)
    return path


def write_scores(path: Path, results: List[Tuple[str, np.ndarray, Dict[str, float]]]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", newline="") as fh:
        writer = csv.writer(fh)
        keys = list(results[0][2]) if results else []
        writer.writerow(["scene", *keys])
        for stem, _, row in results:
            writer.writerow([stem, *(f"{row[k]:.6f}" for k in keys)])
    tmp.replace(path)


def write_outputs(artifacts: Path, results: List[Tuple[str, np.ndarray, Dict[str, float]]],
                  shown: List[Tuple[str, np.ndarray, np.ndarray, np.ndarray]]) -> None:
    """Inference outputs: a mask file per scene, the per-scene scores, and PNG previews of the first scenes."""
    from . import previews  # matplotlib only when writing

    (artifacts / "masks").mkdir(exist_ok=True)
    for stem, prob, _ in results:
        write_mask(artifacts / "masks" / f"{stem}.h5", prob)
    write_scores(artifacts / "scene_scores.csv", results)
    if shown:
        (artifacts / "previews").mkdir(exist_ok=True)
        for stem, refs, truth, pred in shown:
            previews.write_preview(artifacts / "previews" / f"{stem}.png", refs, truth, pred, stem)
