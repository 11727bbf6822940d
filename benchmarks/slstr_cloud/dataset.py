"""The SLSTR cloud dataset's reader (the generator is generate.py, re-exported here).

Layout (identical to ``s3://sciml-datasets/`` ``slstr_cloud_ds1``): scene files ``S3A*.hdf`` (HDF5)
anywhere under the dataset root (the real data keeps them in ``one-day/``; the generator does the
same), each holding

- ``refs``  (1200, 1500, 6) float32: reflectances of channels S1..S6,
- ``bts``   (1200, 1500, 3) float32: brightness temperatures of S7..S9 in kelvin,
- ``bayes`` (1200, 1500, 1) uint8:   the Bayesian cloud flags; any value > 0 is cloud.

Reading follows the original: each modality z-scored over the whole scene (one mean and std for all
reflectances, one for all temperatures), concatenated to 9 channels.  The train/test split is by
*file*, seeded by a fixed constant so every run and every hardware sees the same split.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import List, Tuple

import h5py
import numpy as np

from .generate import SCALES, SCENE_DIR, _scene_name, _write_scene, generate  # noqa: F401  (re-exported)
from .physics import HEIGHT, N_BTS, N_REFS, WIDTH

log = logging.getLogger(__name__)

PATTERN = "S3A*.hdf"
# The real slstr_cloud_ds1 files as SciMLBench's loader reads them (sciml_bench/benchmarks/science/slstr_cloud/
# data_loader.py, constants.py): h5py keys, shapes (IMAGE_H x IMAGE_W = 1200 x 1500), refs and bts concatenated
# on the last axis into N_CHANNELS = 9, the mask binarised by ``msk > 0``.  The bucket's folders are
# ``one-day/`` (training) and ``ssts/`` (the original's inference set); the loader globs ``**/S3A*.hdf``.
REAL_LAYOUT = {"refs": (HEIGHT, WIDTH, N_REFS), "bts": (HEIGHT, WIDTH, N_BTS), "bayes": (HEIGHT, WIDTH, 1)}
REAL_FOLDERS = ("one-day", "ssts")
N_CHANNELS = N_REFS + N_BTS
SPLIT_SEED = 42  # the file split is part of the benchmark definition, not of a run's seed


@dataclass(frozen=True)
class SceneData:
    """One scene as read from its file: raw arrays for the baseline, normalised image for the model."""

    path: Path
    refs: np.ndarray  # (H, W, 6) float32, raw
    bts: np.ndarray  # (H, W, 3) float32, raw (K)
    mask: np.ndarray  # (H, W) bool, bayes > 0

    def image(self) -> np.ndarray:
        """(9, H, W) float32: per-modality z-scored reflectances then temperatures (the model input)."""
        return normalise(self.refs, self.bts)


def normalise(refs: np.ndarray, bts: np.ndarray) -> np.ndarray:
    """Per-modality z-scoring as in SciMLBench: one mean/std per modality over the whole scene."""
    out = np.empty((N_CHANNELS,) + refs.shape[:2], dtype=np.float32)
    for lo, arr in ((0, refs), (N_REFS, bts)):
        mean, std = float(arr.mean(dtype=np.float64)), float(arr.std(dtype=np.float64))
        out[lo : lo + arr.shape[-1]] = np.moveaxis((arr - np.float32(mean)) / np.float32(std or 1.0), -1, 0)
    return out


def scene_files(root: Path) -> List[Path]:
    """All ``S3A*.hdf`` files under ``root`` (any depth), sorted so the split never depends on the filesystem."""
    files = sorted(Path(root).glob(f"**/{PATTERN}"))
    if not files:
        from sciml_mlflow.errors import DataError

        raise DataError(
            f"slstr_cloud: no {PATTERN} scene files under {root}; expected the slstr_cloud_ds1 layout "
            f"(e.g. {root}/{SCENE_DIR}/S3A_....hdf). Generate data (scale tiny/small) or fetch the real set."
        )
    return files


def split_files(files: List[Path], train_fraction: float) -> Tuple[List[Path], List[Path]]:
    """File-level train/test split (fixed seed); at least one file on each side when there are two or more."""
    if not 0.0 < train_fraction < 1.0:
        raise ValueError(f"slstr_cloud: options.train_fraction must be in (0, 1), got {train_fraction}")
    order = np.random.default_rng(SPLIT_SEED).permutation(len(files))
    n_train = int(round(train_fraction * len(files)))
    n_train = min(max(n_train, 1), len(files) - 1) if len(files) > 1 else len(files)
    train = sorted(files[i] for i in order[:n_train])
    test = sorted(files[i] for i in order[n_train:])
    return train, test


def read_scene(path: Path) -> SceneData:
    """Read one scene file; a missing key or wrong shape names the file and what was expected."""
    try:
        with h5py.File(path, "r") as fh:
            refs, bts, bayes = fh["refs"][...], fh["bts"][...], fh["bayes"][...]
    except (OSError, KeyError) as exc:
        from sciml_mlflow.errors import DataError

        raise DataError(f"slstr_cloud: cannot read {path}: {exc}; expected HDF5 with refs, bts and bayes") from exc
    if refs.ndim != 3 or bts.ndim != 3 or refs.shape[:2] != bts.shape[:2] or refs.shape[-1] != N_REFS \
            or bts.shape[-1] != N_BTS:  # fmt: skip
        from sciml_mlflow.errors import DataError

        raise DataError(f"slstr_cloud: {path}: refs {refs.shape} / bts {bts.shape}; expected (H, W, 6) and (H, W, 3)")
    mask = bayes.reshape(refs.shape[:2]) > 0
    return SceneData(path, refs.astype(np.float32, copy=False), bts.astype(np.float32, copy=False), mask)


__all__ = ["SCALES", "SCENE_DIR", "N_CHANNELS", "REAL_LAYOUT", "REAL_FOLDERS", "SceneData", "generate", "normalise", "read_scene",
           "scene_files", "split_files", "HEIGHT", "WIDTH"]  # fmt: skip
