"""The EM denoising generator: noisy/clean pairs in the real em_graphene_sim layout, the same bytes everywhere.

Layout (identical to ``s3://sciml-datasets/`` ``em_graphene_sim``)::

    train/graphene_img_noise.h5   images (N, 256, 256, 1) float32   noisy micrographs
    train/graphene_img_clean.h5   images (N, 256, 256, 1) float32   their noise-free ground truth
    test/graphene_img_noise.h5    held-out pairs, same layout
    test/graphene_img_clean.h5
    inference/raw/graphene_00000.tif     the test pairs again as the original's *inference* set reads them:
    inference/truth/graphene_00000.tif   one (256, 256) float32 TIFF per image, raw/ noisy, truth/ clean,
                                         paired by file name (SciMLBench em_denoise reads
                                         ``<dataset>/raw`` and ``<dataset>/truth`` with skimage.io.imread)

Why a file of its own: ``dvc.yaml`` makes this file and ``physics.py`` the dependencies of the dataset.
Bit-identical bytes (docs/data.md): each block of ``CHUNK`` images draws from its own PCG64 stream seeded
by (seed, split, first index); physics.py computes in float64 without BLAS; files are written with a
fixed HDF5 format version, no timestamps, one chunk per image, no compression, in index order.
"""

from __future__ import annotations

import logging
import os
from dataclasses import asdict
from pathlib import Path
from typing import Callable, Dict, List, Optional

import h5py
import numpy as np
import tifffile

from . import physics
from .physics import SIZE, Microscope

log = logging.getLogger(__name__)

GENERATOR_VERSION = "3"  # bump when the bytes change on purpose (and re-record dvc.lock)
SPLITS = ("train", "test")
NOISY_FILE = "graphene_img_noise.h5"
CLEAN_FILE = "graphene_img_clean.h5"
KEY = "images"
INFERENCE_DIR = "inference"  # the original's inference dataset: raw/ (noisy) and truth/ (clean) image folders
RAW_DIR, TRUTH_DIR = "raw", "truth"
IMAGE_NAME = "graphene_{:05d}.tif"
SHAPE = (SIZE, SIZE, 1)
CHUNK = 32  # images rendered (and written) at a time: bounds memory whatever the scale; part of the seeding
HDF5_LIBVER = ("earliest", "v110")  # fixed file-format bounds: the bytes do not follow the HDF5 release

# Image pairs per split.  `full` matches the size of the real em_graphene_sim set (~5 GB: 10,000 pairs of
# 256x256 float32 images, noisy + clean); tiny is for tests, small for the default CPU run.
SCALES: Dict[str, Dict[str, int]] = {
    "tiny": {"train": 64, "test": 16},
    "small": {"train": 512, "test": 128},
    "full": {"train": 8000, "test": 2000},
}
DEFAULT_MICROSCOPE = Microscope()

Report = Callable[[int, int, int, str], None]  # (done, total, bytes written, unit): progress callback


def _write_pair(folder: Path, n: int, seed: int, split_id: int, mic: Microscope,
                report: Optional[Report] = None, done: int = 0, total: int = 0) -> List[Path]:
    """Render ``n`` pairs into temporary files, then rename both into place (readers never see half a file)."""
    folder.mkdir(parents=True, exist_ok=True)
    final = [folder / NOISY_FILE, folder / CLEAN_FILE]
    tmp = [p.with_name(f".{p.name}.tmp-{os.getpid()}") for p in final]
    attrs = {
        "generator": "sciml_mlflow em_denoise physics.py (graphene lattice, beam profile, Poisson + read noise)",
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "pixel_size_angstrom": physics.PIXEL_SIZE,
        "data_range": 1.0,
        "units": "detected electrons per incident electron (noisy = counts / dose)",
        **{k: v for k, v in asdict(mic).items()},
    }
    total = total or n
    try:
        with h5py.File(tmp[0], "w", libver=HDF5_LIBVER, track_order=False) as fn, \
                h5py.File(tmp[1], "w", libver=HDF5_LIBVER, track_order=False) as fc:  # fmt: skip
            dsets = []
            for f, kind in ((fn, "noisy"), (fc, "clean")):
                for k, v in attrs.items():  # in a fixed order
                    f.attrs[k] = v
                f.attrs["kind"] = kind
                dsets.append(f.create_dataset(KEY, shape=(n,) + SHAPE, dtype="float32", chunks=(1,) + SHAPE,
                                              track_times=False))
            for start in range(0, n, CHUNK):
                stop = min(start + CHUNK, n)
                rng = np.random.Generator(np.random.PCG64([seed, split_id, start]))  # any chunk can be re-rendered
                clean = physics.clean_images(rng, stop - start, mic)
                noisy = physics.detect(rng, clean, mic)
                dsets[0][start:stop] = noisy[..., None].astype(np.float32)
                dsets[1][start:stop] = clean[..., None].astype(np.float32)
                if report is not None:
                    report(done + stop, total, 2 * (stop - start) * SIZE * SIZE * 4, "pairs")
        for t, p in zip(tmp, final):
            os.replace(t, p)
    finally:
        for t in tmp:
            if t.exists():
                t.unlink()
    log.info("em_denoise: wrote %d image pairs to %s", n, folder)
    return final


def write_inference_folders(root: Path, noisy: np.ndarray, clean: np.ndarray) -> List[Path]:
    """(N, H, W) pairs as one float32 TIFF per image under ``root/raw`` and ``root/truth`` (same names).

    The bytes are fixed: no date, software or description tag (tifffile writes none of them here),
    uncompressed, one strip layout chosen by tifffile from the shape.  Folders are filled under a
    temporary name and renamed into place.
    """
    written: List[Path] = []
    for sub, images in ((RAW_DIR, noisy), (TRUTH_DIR, clean)):
        final = Path(root) / sub
        tmp = final.with_name(f".{sub}.tmp-{os.getpid()}")
        tmp.mkdir(parents=True, exist_ok=True)
        for i, img in enumerate(np.asarray(images, dtype=np.float32)):
            tifffile.imwrite(tmp / IMAGE_NAME.format(i), img, metadata=None, software=False, photometric="minisblack")
        if final.exists():
            for old in final.iterdir():
                old.unlink()
            final.rmdir()
        os.replace(tmp, final)
        written += sorted(final.iterdir())
    return written


def generate(root: Path, scale: str, seed: int = 0, microscope: Optional[Microscope] = None,
             report: Optional[Report] = None) -> List[Path]:
    """Write the simulated dataset of ``scale`` under ``root`` in the real layout; returns the files written.

    Example: ``generate(Path("data/em_sim/tiny"), "tiny")`` writes ``train/`` and ``test/`` noisy/clean
    pairs.  ``microscope`` sets the acquisition (``Microscope(dose=5.0)`` for a harder, lower-dose set).
    ``report(done, total, bytes, unit)`` is told after every block.
    """
    if scale not in SCALES:
        raise ValueError(f"unknown em_denoise scale {scale!r}; expected one of {', '.join(SCALES)}")
    mic = microscope or DEFAULT_MICROSCOPE
    written: List[Path] = []
    total = sum(SCALES[scale][s] for s in SPLITS)
    done = 0
    for k, split in enumerate(SPLITS):
        written += _write_pair(Path(root) / split, SCALES[scale][split], seed, k, mic, report, done, total)
        done += SCALES[scale][split]
    pairs = []
    for name in (NOISY_FILE, CLEAN_FILE):  # the test pairs, re-read as written (float32), for the inference set
        with h5py.File(Path(root) / "test" / name, "r") as f:
            pairs.append(np.asarray(f[KEY][:, :, :, 0]))
    written += write_inference_folders(Path(root) / INFERENCE_DIR, *pairs)
    return written
