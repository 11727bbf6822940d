"""The DMS structure dataset's loader (the generator is generate.py, re-exported here).

Layout (identical to ``s3://sciml-datasets/.../dms_structure``): see generate.py.  The loader reads the
real file unchanged, a chunk of patterns at a time, so an 8.6 GB file never has to be materialised twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Tuple

import h5py
import numpy as np

from .generate import (  # noqa: F401  (re-exported: the dataset's public names)
    BINARY_FILE,
    CLASSES,
    FLUX_RANGE,
    LABEL_DTYPE,
    MOSAIC_RANGE,
    MULTILABEL_FILE,
    PHASES,
    SCALES,
    SPLITS,
    _binary_plan,
    _multilabel_plan,
    _one_pattern,
    _write_file,
    generate,
    sample_lattice,
)
from .physics import SHAPE, Lattice  # noqa: F401

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class H5Split:
    """One split of a DMS file, read lazily; h5py handles are opened per call so it is fork/worker safe."""

    path: Path
    split: str

    def __len__(self) -> int:
        with h5py.File(self.path, "r") as f:
            return int(f[f"{self.split}/images"].shape[0])

    def labels(self) -> np.ndarray:
        """Labels as the model uses them: one-hot (N, 2) for the binary file, 0/1 (N, 4) multi-label."""
        with h5py.File(self.path, "r") as f:
            raw = np.asarray(f[f"{self.split}/labels"])
        if self.path.name == Path(MULTILABEL_FILE).name:
            return raw.astype(np.float32)
        return one_hot(raw, f"{self.path}:{self.split}/labels")

    def iter_chunks(self, chunk: int = 64) -> Iterator[Tuple[int, np.ndarray]]:
        """(start, images[start:start+chunk]) in file order, float32 NHWC exactly as stored."""
        with h5py.File(self.path, "r") as f:
            ds = f[f"{self.split}/images"]
            for start in range(0, ds.shape[0], chunk):
                yield start, np.asarray(ds[start : start + chunk], dtype=np.float32)


def one_hot(raw: np.ndarray, where: str) -> np.ndarray:
    """One class index per pattern, (N, 1) or (N,), as the real file holds it -> one-hot (N, 2) float32.

    This is what the original does (``labels.reshape(-1, 1)`` then sklearn's OneHotEncoder, whose sorted
    categories put 0 = monoclinic first).  Anything else is refused with the reason, rather than being
    silently read as class 0.
    """
    if raw.ndim == 2 and raw.shape[1] != 1:
        raise ValueError(
            f"dms_structure: {where} has shape {raw.shape}; expected one label per pattern, (N, 1) or (N,), "
            f"0 = {CLASSES[0]}, 1 = {CLASSES[1]} (the real layout). A (N, {raw.shape[1]}) one-hot file was "
            "written by an older generator (before version 3): regenerate it (sciml-mlflow data pull / dvc repro)")
    if raw.ndim > 2:
        raise ValueError(f"dms_structure: {where} has shape {raw.shape}; expected (N, 1) or (N,) class indices")
    values = raw.reshape(-1)
    bad = ~np.isin(values, np.arange(len(CLASSES)))
    if bad.any():
        raise ValueError(
            f"dms_structure: {where} holds {np.unique(values[bad])[:5].tolist()}; expected class indices "
            f"0 ({CLASSES[0]}) or 1 ({CLASSES[1]})")
    return np.eye(len(CLASSES), dtype=np.float32)[values.astype(np.int64)]


def data_file(data_dir: Path, multi_label: bool) -> Path:
    """The file a run reads, with an actionable error when it is missing or has the wrong layout."""
    path = Path(data_dir) / (MULTILABEL_FILE if multi_label else BINARY_FILE)
    if not path.is_file():
        hint = "generate it with dataset.generate(root, scale)" + (
            " at scale tiny or small (the real data has no multi-label file)" if multi_label else ""
        )
        raise FileNotFoundError(f"dms_structure: expected {path} (real layout {BINARY_FILE}); {hint}")
    with h5py.File(path, "r") as f:
        missing = [f"{s}/{k}" for s in SPLITS for k in ("images", "labels") if f"{s}/{k}" not in f]
        if missing:
            raise ValueError(
                f"dms_structure: {path} lacks {', '.join(missing)}; expected train/ and test/ images+labels"
            )
        shape = tuple(f["train/images"].shape[1:])
        if shape != SHAPE:
            raise ValueError(
                f"dms_structure: {path} has patterns of shape {shape}; expected {SHAPE} (N, 487, 195, 3)"
            )
    return path


def label_names(multi_label: bool) -> Tuple[str, ...]:
    return PHASES if multi_label else CLASSES

