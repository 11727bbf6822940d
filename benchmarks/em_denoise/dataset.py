"""The EM denoising dataset: a generator that writes the real SciMLBench layout, and its loader.

Layout (identical to ``s3://sciml-datasets/`` ``em_graphene_sim``)::

    train/graphene_img_noise.h5   images (N, 256, 256, 1) float32   noisy micrographs
    train/graphene_img_clean.h5   images (N, 256, 256, 1) float32   their noise-free ground truth
    test/graphene_img_noise.h5    held-out pairs, same layout
    test/graphene_img_clean.h5

Image ``i`` of the noisy file pairs with image ``i`` of the clean file.  Generated files also carry
attributes (``dose``, ``pixel_size_angstrom``, ``data_range``, ``units``...) that the real files lack;
the loader uses them when present and falls back to statistics of the clean training images otherwise.
"""

from __future__ import annotations

import logging
import os
from dataclasses import asdict
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import h5py
import numpy as np

from . import physics
from .physics import SIZE, Microscope

log = logging.getLogger(__name__)

SPLITS = ("train", "test")
NOISY_FILE = "graphene_img_noise.h5"
CLEAN_FILE = "graphene_img_clean.h5"
DENOISED_FILE = "graphene_img_denoised.h5"  # what inference writes, in the same layout
KEY = "images"
SHAPE = (SIZE, SIZE, 1)
CHUNK = 32  # images rendered (and written) at a time: bounds memory whatever the scale

# Image pairs per split.  `full` matches the size of the real em_graphene_sim set (~5 GB: 10,000 pairs of
# 256x256 float32 images, noisy + clean); tiny is for tests, small for the default CPU run.
SCALES: Dict[str, Dict[str, int]] = {
    "tiny": {"train": 64, "test": 16},
    "small": {"train": 512, "test": 128},
    "full": {"train": 8000, "test": 2000},
}
DEFAULT_MICROSCOPE = Microscope()


def _write_pair(folder: Path, n: int, seed: int, split_id: int, mic: Microscope) -> List[Path]:
    """Render ``n`` pairs into temporary files, then rename both into place (readers never see half a file)."""
    folder.mkdir(parents=True, exist_ok=True)
    final = [folder / NOISY_FILE, folder / CLEAN_FILE]
    tmp = [p.with_name(f".{p.name}.tmp-{os.getpid()}") for p in final]
    attrs = {
        "generator": "sciml_mlflow em_denoise physics.py (graphene lattice, beam profile, Poisson + read noise)",
        "seed": seed,
        "pixel_size_angstrom": physics.PIXEL_SIZE,
        "data_range": 1.0,
        "units": "detected electrons per incident electron (noisy = counts / dose)",
        **{k: v for k, v in asdict(mic).items()},
    }
    try:
        with h5py.File(tmp[0], "w") as fn, h5py.File(tmp[1], "w") as fc:
            dsets = []
            for f, kind in ((fn, "noisy"), (fc, "clean")):
                f.attrs.update(attrs)
                f.attrs["kind"] = kind
                dsets.append(f.create_dataset(KEY, shape=(n,) + SHAPE, dtype="float32", chunks=(1,) + SHAPE))
            for start in range(0, n, CHUNK):
                stop = min(start + CHUNK, n)
                rng = np.random.default_rng([seed, split_id, start])  # per chunk: any chunk can be re-rendered
                clean = physics.clean_images(rng, stop - start, mic)
                noisy = physics.detect(rng, clean, mic)
                dsets[0][start:stop] = noisy[..., None].astype(np.float32)
                dsets[1][start:stop] = clean[..., None].astype(np.float32)
        for t, p in zip(tmp, final):
            os.replace(t, p)
    finally:
        for t in tmp:
            if t.exists():
                t.unlink()
    log.info("em_denoise: wrote %d image pairs to %s", n, folder)
    return final


def generate(root: Path, scale: str, seed: int = 0, microscope: Optional[Microscope] = None) -> List[Path]:
    """Write the simulated dataset of ``scale`` under ``root`` in the real layout; returns the files written.

    Example: ``generate(Path("data/em_sim/tiny"), "tiny")`` writes ``train/`` and ``test/`` noisy/clean
    pairs.  ``microscope`` sets the acquisition (``Microscope(dose=5.0)`` for a harder, lower-dose set).
    """
    if scale not in SCALES:
        raise ValueError(f"unknown em_denoise scale {scale!r}; expected one of {', '.join(SCALES)}")
    mic = microscope or DEFAULT_MICROSCOPE
    written: List[Path] = []
    for k, split in enumerate(SPLITS):
        written += _write_pair(Path(root) / split, SCALES[scale][split], seed, k, mic)
    return written


def _check(path: Path) -> Tuple[int, ...]:
    if not path.is_file():
        raise FileNotFoundError(
            f"em_denoise: expected {path} (real layout train|test/{NOISY_FILE} + {CLEAN_FILE}); generate it "
            "with dataset.generate(root, scale) or fetch em_graphene_sim into the data root"
        )
    with h5py.File(path, "r") as f:
        if KEY not in f:
            raise ValueError(f"em_denoise: {path} has no dataset {KEY!r}; found {', '.join(f.keys()) or 'nothing'}")
        shape = tuple(f[KEY].shape)
    if len(shape) != 4 or shape[3] != 1 or shape[1] != shape[2]:
        raise ValueError(f"em_denoise: {path} holds images of shape {shape}; expected (N, H, H, 1), e.g. (N, 256, 256, 1)")
    return shape


def load_split(data_dir: Path, split: str, limit: Optional[int] = None) -> Tuple[np.ndarray, np.ndarray]:
    """(noisy, clean) of ``split`` as (N, H, W) float32 arrays, read a chunk at a time."""
    folder = Path(data_dir) / split
    paths = (folder / NOISY_FILE, folder / CLEAN_FILE)
    shapes = [_check(p) for p in paths]
    if shapes[0] != shapes[1]:
        raise ValueError(f"em_denoise: {paths[0]} has shape {shapes[0]} but {paths[1]} has {shapes[1]}; pairs must match")
    n = shapes[0][0] if limit is None else min(limit, shapes[0][0])
    out = []
    for p in paths:
        arr = np.empty((n,) + shapes[0][1:3], dtype=np.float32)
        with h5py.File(p, "r") as f:
            ds = f[KEY]
            for s in range(0, n, 256):
                arr[s : s + 256] = ds[s : min(s + 256, n), :, :, 0]
        out.append(arr)
    return out[0], out[1]


def write_images(path: Path, images: np.ndarray) -> Path:
    """Write (N, H, W) images as ``images`` (N, H, W, 1) float32 — the real layout — atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with h5py.File(tmp, "w") as f:
            f.create_dataset(KEY, data=np.asarray(images, dtype=np.float32)[..., None], chunks=(1,) + images.shape[1:] + (1,))
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def attributes(data_dir: Path) -> Dict[str, object]:
    """Generator attributes of the clean training file ({} for the real data, which has none)."""
    with h5py.File(Path(data_dir) / "train" / CLEAN_FILE, "r") as f:
        return {k: (v.item() if hasattr(v, "item") else v) for k, v in f.attrs.items()}


__all__ = ["SCALES", "SPLITS", "NOISY_FILE", "CLEAN_FILE", "KEY", "DENOISED_FILE", "generate", "load_split", "write_images", "attributes"]
