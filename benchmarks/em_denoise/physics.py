"""Forward model of a low-dose electron micrograph of graphene (annular dark-field STEM-like contrast).

Why a forward model rather than pictures that merely look noisy: the benchmark's questions (does the
network learn the lattice prior, does it beat a filter at a given dose) are only meaningful when the
noise has the statistics of a counting detector and the signal has the structure of a real crystal.

The chain, per image:

1. **Lattice** — a honeycomb (graphene, a = 2.46 Å, C–C 1.42 Å) at a random rotation and offset;
   point defects: vacancies, substitutional dopants (brighter, Z-contrast) and adatoms on hollow sites;
   in a share of images a straight tilt grain boundary between two differently rotated grains.
2. **Object** — every atom a Gaussian blob (the probe-convolved atomic potential), carbon peak
   ``CARBON_PEAK``, dopants ``DOPANT_PEAK``, on a weak support background; clipped to [0, 1].
3. **Illumination** — a smooth, slightly elliptical, off-centre beam profile (1 at its centre, falling
   towards the field edges): ``clean = beam * object``, in [0, 1].
4. **Detector** — Poisson shot noise at ``dose`` electrons/pixel (for a fully bright pixel), Gaussian read
   noise (``read_noise`` electrons rms), and dead pixels that read 0.

Normalisation (the contract the metrics rely on): the noisy image is ``counts / dose``, so both noisy and
clean are in units of *detected electrons per incident electron*, and ``E[noisy] = clean`` on every live
pixel.  Clean images lie in [0, 1], so PSNR/SSIM use ``data_range = 1``.

Everything is vectorised over a batch: atoms are splatted bilinearly onto the pixel grid and blurred with
one Gaussian filter, which equals rendering each Gaussian blob (to within the sub-pixel splat error).

Same bytes on every machine: everything is float64 and is rounded to float32 once, when written; small
products are written out as fixed-order sums (no BLAS: kernels differ in summation order and FMA use),
and transcendentals are libm's (``math``) on scalars or on the separable 1-D beam profiles, never
numpy's CPU-dispatched SIMD versions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Tuple

import numpy as np
from scipy import ndimage

LATTICE_A = 2.46  # graphene lattice constant, Å
BOND = LATTICE_A / math.sqrt(3.0)  # C–C distance, 1.42 Å
SIZE = 256  # pixels per side (the real data's shape)
PIXEL_SIZE = 0.10  # Å per pixel: a 25.6 Å field of view, about ten unit cells across
ATOM_SIGMA = 0.40  # Å: width of an atom's image (probe size convolved with the thermal smearing)
CARBON_PEAK = 0.6  # object intensity at a carbon column
DOPANT_PEAK = 1.0  # heavier substitutional atom (Z-contrast): brighter than carbon
BACKGROUND_RANGE = (0.03, 0.10)  # amorphous support film under the lattice


@dataclass(frozen=True)
class Microscope:
    """Acquisition parameters; ``dose`` is the benchmark's difficulty knob."""

    dose: float = 20.0  # incident electrons per pixel at full brightness (low dose: tens)
    read_noise: float = 1.0  # detector read noise, electrons rms per pixel
    dead_pixel_fraction: float = 0.002  # share of pixels that read 0
    vacancy_fraction: float = 0.02  # share of lattice sites left empty
    dopant_fraction: float = 0.01  # share of sites holding a brighter substitutional atom
    adatoms_per_nm2: float = 0.15  # extra atoms on hollow sites
    grain_boundary_probability: float = 0.3  # share of images with two grains


def honeycomb_peak_frequency() -> float:
    """Spatial frequency (1/Å) of the strongest lattice reflection, {100} at d = a·√3/2 = 2.13 Å."""
    return 2.0 / (math.sqrt(3.0) * LATTICE_A)


def _sites(extent: float) -> np.ndarray:
    """Honeycomb sites (Å) covering a square of half-width ``extent`` about the origin."""
    a1 = np.array([LATTICE_A, 0.0])
    a2 = np.array([LATTICE_A / 2.0, LATTICE_A * math.sqrt(3.0) / 2.0])
    n = int(math.ceil(extent / (LATTICE_A * math.sqrt(3.0) / 2.0))) + 2
    i, j = np.meshgrid(np.arange(-n, n + 1), np.arange(-n, n + 1), indexing="ij")
    cells = i.reshape(-1, 1) * a1 + j.reshape(-1, 1) * a2
    basis = np.array([[0.0, 0.0], (a1 + a2) / 3.0])
    sites = (cells[:, None, :] + basis[None, :, :]).reshape(-1, 2)
    return sites[np.all(np.abs(sites) <= extent, axis=1)]


def _rotate(xy: np.ndarray, angle: float) -> np.ndarray:
    """``xy @ [[c, s], [-s, c]]`` written out (no BLAS)."""
    c, s = math.cos(angle), math.sin(angle)
    return np.stack([xy[..., 0] * c - xy[..., 1] * s, xy[..., 0] * s + xy[..., 1] * c], axis=-1)


def _dot2(xy: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``xy @ v`` for (n, 2) points and a 2-vector, written out (no BLAS)."""
    return xy[:, 0] * float(v[0]) + xy[:, 1] * float(v[1])


def _exp(x: np.ndarray) -> np.ndarray:
    """Element-wise libm exp (small arrays only): not numpy's CPU-dispatched SIMD exp."""
    flat = np.asarray(x, dtype=np.float64).ravel().tolist()
    return np.fromiter((math.exp(v) for v in flat), dtype=np.float64, count=len(flat)).reshape(np.shape(x))


def _grain(rng: np.random.Generator, extent: float) -> np.ndarray:
    """One randomly rotated and shifted honeycomb grain: atom positions (Å, relative to the image centre)."""
    sites = _sites(extent * math.sqrt(2.0) + LATTICE_A)
    sites = sites + rng.uniform(0.0, LATTICE_A, size=2)
    return _rotate(sites, rng.uniform(0.0, math.pi / 3.0))  # the lattice has 60° symmetry


def atoms(rng: np.random.Generator, mic: Microscope) -> Tuple[np.ndarray, np.ndarray]:
    """Atom positions (pixels, (n, 2) as row/col) and peak intensities for one image."""
    half = SIZE * PIXEL_SIZE / 2.0
    xy = _grain(rng, half)
    if rng.random() < mic.grain_boundary_probability:
        # A straight boundary through the field; each grain keeps the atoms on its side, and grain 2
        # drops atoms closer than 0.8 bond lengths to grain 1 (no overlapping columns at the seam).
        normal = _rotate(np.array([1.0, 0.0]), rng.uniform(0.0, 2.0 * math.pi))
        offset = rng.uniform(-0.3, 0.3) * half
        other = _grain(rng, half)
        xy = xy[_dot2(xy, normal) < offset]
        other = other[_dot2(other, normal) >= offset]
        if len(xy) and len(other):
            near = _dot2(other, normal) < offset + BOND
            if near.any():
                diff = other[near, None, :] - xy[None, _dot2(xy, normal) > offset - BOND, :]
                d = np.sqrt(diff[..., 0] * diff[..., 0] + diff[..., 1] * diff[..., 1])
                keep = np.ones(len(other), dtype=bool)
                keep[np.flatnonzero(near)[d.min(axis=1, initial=np.inf) < 0.8 * BOND]] = False
                other = other[keep]
        xy = np.concatenate([xy, other])
    xy = xy[np.all(np.abs(xy) <= half + 3 * ATOM_SIGMA, axis=1)]
    xy = xy[rng.random(len(xy)) >= mic.vacancy_fraction]
    peaks = np.where(rng.random(len(xy)) < mic.dopant_fraction, DOPANT_PEAK, CARBON_PEAK)
    n_ad = rng.poisson(mic.adatoms_per_nm2 * (2 * half / 10.0) ** 2)
    if n_ad and len(xy):  # adatoms sit near hollow sites: a lattice site plus one bond length outward
        base = xy[rng.integers(0, len(xy), size=n_ad)]
        ang = rng.uniform(0.0, 2.0 * math.pi, size=n_ad)
        unit = np.array([[math.cos(a), math.sin(a)] for a in ang.tolist()], dtype=np.float64).reshape(-1, 2)
        xy = np.concatenate([xy, base + BOND * unit])
        peaks = np.concatenate([peaks, np.full(n_ad, CARBON_PEAK)])
    rc = xy[:, ::-1] / PIXEL_SIZE + (SIZE - 1) / 2.0  # Å (x, y) -> pixel (row, col)
    return rc, peaks


def _splat(images: np.ndarray, k: int, rc: np.ndarray, weights: np.ndarray) -> None:
    """Add point masses at fractional pixel positions by bilinear weights (in place on images[k])."""
    r0 = np.floor(rc[:, 0]).astype(np.int64)
    c0 = np.floor(rc[:, 1]).astype(np.int64)
    fr, fc = rc[:, 0] - r0, rc[:, 1] - c0
    pad = images.shape[1] - SIZE  # images carry a margin so atoms just outside the field still blur in
    for dr, dc, w in ((0, 0, (1 - fr) * (1 - fc)), (1, 0, fr * (1 - fc)), (0, 1, (1 - fr) * fc), (1, 1, fr * fc)):
        r, c = r0 + dr + pad // 2, c0 + dc + pad // 2
        ok = (r >= 0) & (r < images.shape[1]) & (c >= 0) & (c < images.shape[2])
        np.add.at(images[k], (r[ok], c[ok]), (weights * w)[ok])


def objects(rng: np.random.Generator, n: int, mic: Microscope) -> np.ndarray:
    """(n, SIZE, SIZE) noise-free object intensities in [0, 1], before illumination."""
    sigma_px = ATOM_SIGMA / PIXEL_SIZE
    margin = int(math.ceil(4 * sigma_px))
    canvas = np.zeros((n, SIZE + 2 * margin, SIZE + 2 * margin), dtype=np.float64)
    for k in range(n):
        rc, peaks = atoms(rng, mic)
        _splat(canvas, k, rc, peaks * 2.0 * math.pi * sigma_px**2)  # unit-peak Gaussian after the blur
    blurred = ndimage.gaussian_filter(canvas, sigma=(0, sigma_px, sigma_px), mode="constant", truncate=4.0)
    obj = blurred[:, margin:-margin, margin:-margin]
    bg = rng.uniform(*BACKGROUND_RANGE, size=(n, 1, 1))
    return np.clip(bg + obj, 0.0, 1.0)


def beams(rng: np.random.Generator, n: int) -> np.ndarray:
    """(n, SIZE, SIZE) illumination: an off-centre elliptical Gaussian, 1 at its centre.

    The ellipse is axis-aligned, so the profile is separable: the outer product of two 1-D profiles.
    """
    t = np.arange(SIZE, dtype=np.float64) / (SIZE - 1) - 0.5
    cy, cx = rng.uniform(-0.15, 0.15, size=(2, n, 1, 1))
    wy, wx = rng.uniform(0.45, 0.8, size=(2, n, 1, 1))  # fraction of the field: edges fall to ~0.5-0.85
    py = _exp(-0.5 * ((t[None, :, None] - cy[:, :, :1]) / wy[:, :, :1]) ** 2)  # (n, SIZE, 1)
    px = _exp(-0.5 * ((t[None, None, :] - cx[:, :1, :]) / wx[:, :1, :]) ** 2)  # (n, 1, SIZE)
    return py * px


def clean_images(rng: np.random.Generator, n: int, mic: Microscope) -> np.ndarray:
    """(n, SIZE, SIZE) noise-free images: what a perfect detector would record per incident electron."""
    return beams(rng, n) * objects(rng, n, mic)


def detect(rng: np.random.Generator, clean: np.ndarray, mic: Microscope) -> np.ndarray:
    """The noisy recording of ``clean`` (same units: counts / dose).

    Shot noise is Poisson in the *counts* (variance = mean), so after dividing by the dose the noise
    variance of a pixel is ``clean / dose + (read_noise / dose)**2`` — halving the dose doubles it.
    """
    counts = rng.poisson(clean * mic.dose).astype(np.float64)
    counts += rng.normal(0.0, mic.read_noise, size=clean.shape)
    counts[rng.random(clean.shape) < mic.dead_pixel_fraction] = 0.0
    return counts / mic.dose


__all__ = [
    "LATTICE_A", "PIXEL_SIZE", "SIZE", "Microscope", "atoms", "objects", "beams", "clean_images", "detect",
    "honeycomb_peak_frequency",
]
