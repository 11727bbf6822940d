"""The DMS structure generator: writes the real SciMLBench layout, the same bytes on every machine.

Layout (identical to ``s3://sciml-datasets/.../dms_structure``): ``training/data-binary.h5`` holding
``train/images`` and ``test/images`` (N, 487, 195, 3) float32 and ``train/labels`` / ``test/labels``
(N, 1): one class index per pattern (0 = monoclinic, 1 = tetragonal, ``CLASSES`` order), which the original
code reads with ``reshape(-1, 1)`` and one-hot encodes.  The multi-phase variant (not in the real data)
is ``training/data-multilabel.h5`` with the same keys and (N, len(PHASES)) 0/1 labels.

Why a file of its own: ``dvc.yaml`` makes this file and ``physics.py`` the dependencies of the dataset,
so a change to training code never marks the data stale, and a change here always does.

Bit-identical bytes (docs/data.md, "Same bytes everywhere"): every pattern draws from its own PCG64
stream seeded by (seed, split, multi_label, index), so thread count and scheduling cannot matter;
physics.py avoids BLAS and vectorised transcendentals; HDF5 files are written with a fixed format
version, no timestamps, contiguous datasets and no compression filter, in index order.
"""

from __future__ import annotations

import logging
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import h5py
import numpy as np

from . import physics
from .physics import SHAPE, Lattice

log = logging.getLogger(__name__)

GENERATOR_VERSION = "3"  # bump when the bytes change on purpose (and re-record dvc.lock)
BINARY_FILE = "training/data-binary.h5"
MULTILABEL_FILE = "training/data-multilabel.h5"
CLASSES: Tuple[str, ...] = ("monoclinic", "tetragonal")  # binary label value = index here (0, 1)
LABEL_DTYPE = np.float32  # binary labels (N, 1): one class index per pattern, as in the real file
PHASES: Tuple[str, ...] = ("tetragonal", "monoclinic", "orthorhombic", "rhombohedral")  # multi-label columns
SPLITS = ("train", "test")
HDF5_LIBVER = ("earliest", "v110")  # fixed file-format bounds: the bytes do not follow the HDF5 release
BLOCK = 64  # patterns rendered (and written) at a time

# Pattern counts per split, the monoclinic |beta - 90| range (degrees), the sd of the orientation error
# about each axis (degrees) and the residual in-plane strain (largest |e|, a -> a(1+e), b -> b(1-e)).
# Every scale keeps the real detector shape so the loader is always exercised.  `tiny` exists for tests:
# 80 patterns and 3 epochs must learn something, so its distortion is larger and its mounting better.
# `full` mirrors the real data (8,060 patterns), which has no multi-label file.
SCALES: Dict[str, Dict[str, Any]] = {
    "tiny": {"train": 96, "test": 48, "multilabel_train": 48, "multilabel_test": 24,
             "beta_deg": (0.6, 1.6), "jitter_deg": 0.25, "strain": 0.001},
    "small": {"train": 800, "test": 200, "multilabel_train": 320, "multilabel_test": 80,
              "beta_deg": (0.2, 0.8), "jitter_deg": 0.4, "strain": 0.0025},
    "full": {"train": 6448, "test": 1612, "multilabel_train": 0, "multilabel_test": 0,
             "beta_deg": (0.2, 0.8), "jitter_deg": 0.4, "strain": 0.0025},
}
FLUX_RANGE = (15.0, 60.0)  # photons per unit intensity: exposure varies from pattern to pattern
MOSAIC_RANGE = (0.8, 1.6)  # line width relative to physics.LINE_WIDTH: mosaic spread varies per crystal

Report = Callable[[int, int, int, str], None]  # (done, total, bytes written, unit): progress callback


def _jitter(rng: np.random.Generator, value: float, rel: float) -> float:
    return float(value * (1.0 + rng.uniform(-rel, rel)))


def sample_lattice(phase: str, rng: np.random.Generator, beta_deg: Tuple[float, float] = (0.2, 0.8),
                   strain: float = 0.0) -> Lattice:
    """A PZT-like perovskite cell of ``phase`` with a small random variation of its parameters.

    The distortions are the size seen near a morphotropic phase boundary (fractions of a degree to a
    degree, a few per cent in length), which is why the classes are hard to tell apart by eye.  Two
    things keep the classes from being told apart by *where* the lines sit on average (a linear model):

    - **domain variants**: a monoclinic (Cm) crystal near the MPB is ferroelastically twinned (Noheda et al.,
      Phys. Rev. B 61, 8687, 2000); the illuminated domain shears the c axis towards +a or -a with equal
      probability (beta = 90 +- delta), i.e. the two variants are each other's mirror image along
      detector axis 0.  The class is the *size* of the shear, not its sign.
    - **residual strain**: every crystal carries an in-plane strain ``a -> a(1+e), b -> b(1-e)``,
      ``|e| <= strain`` (mounting, composition gradients), so a/b != 1 is not a monoclinic signature alone.
    """
    a = _jitter(rng, 4.00, 0.004)
    e = rng.uniform(-strain, strain) if strain > 0 else 0.0
    sa, sb = 1.0 + e, 1.0 - e
    if phase == "tetragonal":
        return Lattice(a * sa, a * sb, a * rng.uniform(1.02, 1.04))
    if phase == "monoclinic":  # b-unique: beta between a and c breaks the x -> -x mirror
        c = a * rng.uniform(1.02, 1.04)
        shear = rng.uniform(*beta_deg) * (1.0 if rng.random() < 0.5 else -1.0)  # domain variant
        return Lattice(a * rng.uniform(1.0, 1.005) * sa, a * sb, c, beta=90.0 + shear)
    if phase == "orthorhombic":
        return Lattice(a * rng.uniform(1.015, 1.03) * sa, a * sb, a * rng.uniform(0.995, 1.005))
    if phase == "rhombohedral":
        ang = 90.0 - rng.uniform(0.4, 0.9)
        return Lattice(a * 1.01 * sa, a * 1.01 * sb, a * 1.01, alpha=ang, beta=ang, gamma=ang)
    raise ValueError(f"unknown phase {phase!r}; expected one of {', '.join(PHASES)}")


def _one_pattern(
    seed: Sequence[int], phases: Sequence[str], fractions: Sequence[float], scale: Dict[str, Any]
) -> np.ndarray:
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(list(seed))))
    lattices = [sample_lattice(p, rng, scale["beta_deg"], scale.get("strain", 0.0)) for p in phases]
    orient = physics.rotation(rng.normal(0.0, scale["jitter_deg"], size=3))
    width = physics.LINE_WIDTH * rng.uniform(*MOSAIC_RANGE)
    return physics.pattern(lattices, fractions, orient, rng, flux=rng.uniform(*FLUX_RANGE), width=width)


def _binary_plan(n: int, rng: np.random.Generator) -> Tuple[List[List[str]], List[List[float]], np.ndarray]:
    """Exactly balanced classes in random order; labels (N, 1), one class index per pattern (CLASSES order).

    The real files hold one value per pattern: SciMLBench reads them with ``labels.reshape(-1, 1)`` and
    one-hot encodes them (sklearn's OneHotEncoder, categories sorted, so 0 = monoclinic, 1 = tetragonal,
    as its inference loader also assigns).
    """
    cls = np.arange(n) % len(CLASSES)
    rng.shuffle(cls)
    return [[CLASSES[c]] for c in cls], [[1.0] for _ in cls], cls.astype(LABEL_DTYPE).reshape(-1, 1)


def _multilabel_plan(n: int, rng: np.random.Generator) -> Tuple[List[List[str]], List[List[float]], np.ndarray]:
    """Each phase present with probability 1/2 (at least one), volume fractions from a Dirichlet draw."""
    labels = (rng.random((n, len(PHASES))) < 0.5).astype(np.float32)
    empty = labels.sum(axis=1) == 0
    labels[empty, rng.integers(0, len(PHASES), size=int(empty.sum()))] = 1.0
    phases, fractions = [], []
    for row in labels:
        present = [PHASES[i] for i in np.flatnonzero(row)]
        frac = rng.dirichlet(np.full(len(present), 4.0)) * len(present) ** 0.5  # mixtures are not dimmer
        phases.append(present)
        fractions.append(list(np.maximum(frac, 0.25 / len(present))))
    return phases, fractions, labels


def _count(counts: Dict[str, Any], multi_label: bool) -> int:
    return sum(int(counts[f"multilabel_{s}" if multi_label else s]) for s in SPLITS)


def _write_file(path: Path, counts: Dict[str, Any], seed: int, multi_label: bool, workers: int,
                report: Optional[Report] = None, done: int = 0, total: int = 0) -> Path:
    """Render every split into a temporary file and rename it into place (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    plan = _multilabel_plan if multi_label else _binary_plan
    nbytes = 0
    total = total or _count(counts, multi_label)
    try:
        with h5py.File(tmp, "w", libver=HDF5_LIBVER, track_order=False) as f, \
                ThreadPoolExecutor(max_workers=max(1, workers)) as pool:  # fmt: skip
            f.attrs["generator"] = "sciml_mlflow dms_structure physics.py (Kossel-line forward model)"
            f.attrs["generator_version"] = GENERATOR_VERSION
            f.attrs["seed"] = seed
            f.attrs["label_names"] = ",".join(PHASES if multi_label else CLASSES)
            for k, split in enumerate(SPLITS):
                n = counts[f"multilabel_{split}" if multi_label else split]
                rng = np.random.Generator(np.random.PCG64([seed, k, int(multi_label)]))
                phases, fractions, labels = plan(n, rng)
                images = f.create_dataset(f"{split}/images", shape=(n,) + SHAPE, dtype="float32", track_times=False)
                f.create_dataset(f"{split}/labels", data=labels, track_times=False)
                seeds = [(seed, k, int(multi_label), i) for i in range(n)]  # per-pattern: worker count is irrelevant
                for start in range(0, n, BLOCK):
                    stop = min(start + BLOCK, n)
                    idx = range(start, stop)
                    batch = pool.map(
                        _one_pattern,
                        [seeds[i] for i in idx],
                        [phases[i] for i in idx],
                        [fractions[i] for i in idx],
                        [counts] * len(idx),
                    )
                    block = np.stack(list(batch))
                    images[start:stop] = block
                    done, nbytes = done + (stop - start), nbytes + block.nbytes
                    if report is not None:
                        report(done, total, block.nbytes, "patterns")
                log.info("dms_structure: wrote %d %s patterns to %s", n, split, path)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def generate(
    root: Path, scale: str, seed: int = 0, workers: Optional[int] = None, multi_label: Optional[bool] = None,
    report: Optional[Report] = None,
) -> List[Path]:
    """Write the simulated dataset of ``scale`` under ``root`` in the real layout; returns the files written.

    Example: ``generate(Path("data/dms_sim/tiny"), "tiny")`` writes ``training/data-binary.h5`` and, where
    the scale has one, ``training/data-multilabel.h5`` (``multi_label=False``/``True``: only that file).
    Rendering runs in threads (numpy releases the GIL), and each pattern has its own seed, so the files
    are identical whatever ``workers`` is.  ``report(done, total, bytes, unit)`` is told after every block.
    """
    if scale not in SCALES:
        raise ValueError(f"unknown dms_structure scale {scale!r}; expected one of {', '.join(SCALES)}")
    counts = SCALES[scale]
    workers = workers or min(4, os.cpu_count() or 1)
    root = Path(root)
    files = ([] if multi_label else [False]) + ([True] if multi_label is not False and counts["multilabel_train"] > 0 else [])
    total = sum(_count(counts, m) for m in files)
    written, done = [], 0
    for m in files:
        written.append(_write_file(root / (MULTILABEL_FILE if m else BINARY_FILE), counts, seed, m, workers,
                                   report, done, total))
        done += _count(counts, m)
    return written
