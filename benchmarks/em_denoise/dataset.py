"""The EM denoising dataset's loader (the generator is generate.py, re-exported here).

Layout (identical to ``s3://sciml-datasets/`` ``em_graphene_sim``)::

    train/graphene_img_noise.h5   images (N, 256, 256, 1) float32   noisy micrographs
    train/graphene_img_clean.h5   images (N, 256, 256, 1) float32   their noise-free ground truth
    test/graphene_img_noise.h5    held-out pairs, same layout
    test/graphene_img_clean.h5
    inference/raw/*.tif, inference/truth/*.tif   the original's inference set (see generate.py)

Image ``i`` of the noisy file pairs with image ``i`` of the clean file.  Generated files also carry
attributes (``dose``, ``pixel_size_angstrom``, ``data_range``, ``units``...) that the real files lack;
the loader uses them when present and falls back to statistics of the clean training images otherwise.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import h5py
import numpy as np

from .generate import (  # noqa: F401  (re-exported: the dataset's public names)
    CHUNK,
    CLEAN_FILE,
    DEFAULT_MICROSCOPE,
    INFERENCE_DIR,
    RAW_DIR,
    TRUTH_DIR,
    KEY,
    NOISY_FILE,
    SCALES,
    SHAPE,
    SPLITS,
    _write_pair,
    generate,
    write_inference_folders,
)
from .physics import SIZE, Microscope  # noqa: F401

log = logging.getLogger(__name__)

DENOISED_FILE = "graphene_img_denoised.h5"  # what inference writes, in the same layout
IMAGE_SUFFIXES = (".tif", ".tiff", ".png")  # what the inference folders may hold


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


def inference_folder(data_dir: Path) -> Optional[Path]:
    """The folder holding ``raw/`` + ``truth/``: ``<root>/inference`` (generated) or the root itself (the
    original's inference dataset staged as the data root); None when neither exists."""
    for folder in (Path(data_dir) / INFERENCE_DIR, Path(data_dir)):
        if (folder / RAW_DIR).is_dir() and (folder / TRUTH_DIR).is_dir():
            return folder
    return None


def load_inference(folder: Path) -> Tuple[np.ndarray, np.ndarray, List[str]]:
    """(noisy, clean, names) from ``folder/raw`` and ``folder/truth``: one 2-D image per file, paired by name.

    As the original reads them (skimage.io.imread of every file in the folder), but pairing by file name
    rather than by listing position, and refusing folders whose names differ.
    """
    import skimage.io  # scikit-image is a dependency (SSIM); imported here to keep training imports light

    lists = []
    for sub in (RAW_DIR, TRUTH_DIR):
        files = sorted(p for p in (folder / sub).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise FileNotFoundError(f"em_denoise: {folder / sub} holds no images ({', '.join(IMAGE_SUFFIXES)}); "
                                    f"expected one 2-D image per file, raw/ noisy and truth/ clean with the same names")
        lists.append(files)
    names = [p.name for p in lists[0]]
    if names != [p.name for p in lists[1]]:
        only = sorted(set(names) ^ {p.name for p in lists[1]})[:5]
        raise ValueError(f"em_denoise: {folder}/raw and {folder}/truth hold different file names (e.g. {only}); "
                         "each noisy image needs its clean truth under the same name")
    out = []
    for files in lists:
        images = [np.asarray(skimage.io.imread(p), dtype=np.float32) for p in files]
        shapes = {im.shape for im in images}
        if len(shapes) != 1 or len(next(iter(shapes))) != 2:
            raise ValueError(f"em_denoise: images in {files[0].parent} have shapes {sorted(shapes)[:3]}; expected "
                             "one common 2-D shape, e.g. (256, 256)")
        out.append(np.stack(images))
    if out[0].shape != out[1].shape:
        raise ValueError(f"em_denoise: raw images are {out[0].shape[1:]} but truth images are {out[1].shape[1:]}")
    return out[0], out[1], names


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


__all__ = ["SCALES", "SPLITS", "INFERENCE_DIR", "RAW_DIR", "TRUTH_DIR", "inference_folder", "load_inference", "NOISY_FILE", "CLEAN_FILE", "KEY", "DENOISED_FILE", "generate", "load_split", "write_images", "attributes"]
