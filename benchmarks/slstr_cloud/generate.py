"""The SLSTR cloud generator: scene files in the real slstr_cloud_ds1 layout, the same bytes everywhere.

Layout: scene files ``one-day/S3A*.hdf`` (HDF5) holding ``refs`` (1200, 1500, 6) float32, ``bts``
(1200, 1500, 3) float32 and ``bayes`` (1200, 1500, 1) uint8 (see dataset.py for the reader).

Why a file of its own: ``dvc.yaml`` makes this file and ``physics.py`` the dependencies of the dataset.
Bit-identical bytes (docs/data.md): scene ``i`` draws from its own PCG64 stream seeded by (seed, i), so
the process count cannot matter; physics.py computes in float64 and rounds once; HDF5 files are written
with a fixed format version, no timestamps, fixed chunks and no compression filter (zlib builds differ).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

import h5py
import numpy as np

from . import physics
from .physics import N_BTS, N_REFS, WIDTH

log = logging.getLogger(__name__)

GENERATOR_VERSION = "3"  # bump when the bytes change on purpose (and re-record dvc.lock)
SCENE_DIR = "one-day"
HDF5_LIBVER = ("earliest", "v110")  # fixed file-format bounds: the bytes do not follow the HDF5 release
ROWS_PER_CHUNK = 200
# Scene counts.  Every scale keeps the real 1200 x 1500 scene so the reader is always exercised;
# `full` is the size of slstr_cloud_ds1 (about 1,000 day-time scenes, 180 GB): generating it is
# possible but slow - fetch the real data instead.
SCALES: Dict[str, int] = {"tiny": 4, "small": 15, "full": 1000}

Report = Callable[[int, int, int, str], None]  # (done, total, bytes written, unit): progress callback


def _scene_name(index: int) -> str:
    """A name in the real products' pattern (S3A_SL_1_RBT____<start>_<stop>_...), one minute apart."""
    minute = index % (24 * 60)
    day = 1 + index // (24 * 60)
    start = f"202001{day:02d}T{minute // 60:02d}{minute % 60:02d}00"
    stop = f"202001{day:02d}T{minute // 60:02d}{minute % 60:02d}59"
    return f"S3A_SL_1_RBT____{start}_{stop}_SIM_{index:04d}.hdf"


def _write_scene(args: Tuple[Path, int, int]) -> Tuple[Path, int]:
    """Simulate scene ``index`` and write it atomically; returns (path, bytes of array data)."""
    path, index, seed = args
    scene = physics.simulate(np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, index]))))
    tmp = path.with_name(f".{path.name}.tmp")
    with h5py.File(tmp, "w", libver=HDF5_LIBVER, track_order=False) as fh:
        for key, arr in (("refs", scene.refs), ("bts", scene.bts), ("bayes", scene.bayes)):
            fh.create_dataset(key, data=arr, chunks=(ROWS_PER_CHUNK, WIDTH, arr.shape[-1]), track_times=False)
        fh.attrs["generator"] = "sciml_mlflow slstr_cloud physics.simulate"
        fh.attrs["generator_version"] = GENERATOR_VERSION
        fh.attrs["seed"] = seed
    os.replace(tmp, path)
    return path, scene.refs.nbytes + scene.bts.nbytes + scene.bayes.nbytes


def generate(root: Path, scale: str, seed: int = 0, workers: Optional[int] = None,
             report: Optional[Report] = None) -> List[Path]:
    """Write ``SCALES[scale]`` simulated scenes under ``root/one-day/`` (each file atomically: temp then rename).

    Scenes are independent, so they are simulated in parallel processes (one per CPU by default;
    numpy's element-wise work holds the GIL, so threads would not help).  Returns the written paths.
    ``report(done, total, bytes, unit)`` is told after every scene.
    """
    if scale not in SCALES:
        raise ValueError(f"slstr_cloud: unknown scale {scale!r}; expected one of {', '.join(SCALES)}")
    out = Path(root) / SCENE_DIR
    out.mkdir(parents=True, exist_ok=True)
    jobs = [(out / _scene_name(i), i, seed) for i in range(SCALES[scale])]
    n_workers = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    if "fork" not in multiprocessing.get_all_start_methods():
        n_workers = 1
    log.info("slstr_cloud: simulating %d scenes (%s) into %s with %d workers", len(jobs), scale, out, n_workers)
    written: List[Path] = []

    def done(result: Tuple[Path, int]) -> None:
        written.append(result[0])
        if report is not None:
            report(len(written), len(jobs), result[1], "scenes")

    if n_workers == 1:
        for j in jobs:
            done(_write_scene(j))
        return written
    # fork: the children inherit this benchmark package, which is loaded by file path and not importable by name
    with ProcessPoolExecutor(n_workers, mp_context=multiprocessing.get_context("fork")) as pool:
        for result in pool.map(_write_scene, jobs):  # in index order, whatever order they finish in
            done(result)
    return written
