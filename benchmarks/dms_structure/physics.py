"""Forward model of an X-ray diffuse multiple scattering (DMS) pattern on a Pilatus 100K detector.

Why a forward model and not random pictures: the benchmark has to be learnable for the *physical*
reason the real one is — the geometry of the Kossel-like lines encodes the crystal lattice.  Every
reciprocal-lattice vector G defines a cone of directions d with ``d . G/|G| = lambda / (2 d_hkl)``
(= sin theta_Bragg, the Kossel condition ``k_out = k_in + G`` with ``|k_out| = |k_in|``).  The cone
cuts the flat detector along a conic section; many cones give the intersecting line net of a DMS image.

Geometry conventions (lab frame = crystal frame before the orientation jitter):
- the detector normal is +z, which is the crystal c axis; detector axis 0 (487 pixels) is x, axis 1
  (195 pixels) is y, both centred so that x -> -x is exactly the flip of axis 0;
- monoclinic cells use the b-unique setting (beta between a and c), so their mirror plane is
  perpendicular to y: the pattern keeps the y -> -y (axis 1) mirror and *loses* the x -> -x (axis 0)
  mirror that a tetragonal cell (4/mmm) has.  That broken mirror is what a classifier has to see.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Optional, Sequence, Tuple

import numpy as np

SHAPE: Tuple[int, int, int] = (487, 195, 3)  # Pilatus 100K pixels (long axis, short axis) x channels
PIXEL_MM = 0.172  # Pilatus pixel pitch
DISTANCE_MM = 103.7  # sample-detector distance: the long axis spans +-22 degrees
WAVELENGTHS_A: Tuple[float, float, float] = (12.398 / 8.5, 12.398 / 9.0, 12.398 / 9.5)  # 8.5/9/9.5 keV
LINE_WIDTH = 2.5e-3  # Lorentzian half-width of a line in units of (d . G_hat), ~1.5 pixels
MAX_INDEX = 2  # hkl in [-2, 2]^3: the low-order lines that dominate real DMS images
RENDER_STRIDE = 2  # lines are evaluated on every 2nd pixel and interpolated (4x cheaper, still smooth)


@dataclass(frozen=True)
class Lattice:
    """Unit cell: lengths in angstrom, angles in degrees."""

    a: float
    b: float
    c: float
    alpha: float = 90.0
    beta: float = 90.0
    gamma: float = 90.0

    def real_basis(self) -> np.ndarray:
        """Columns a1, a2, a3 in Cartesian coordinates (a1 along x, a2 in the xy plane)."""
        al, be, ga = np.radians([self.alpha, self.beta, self.gamma])
        a1 = np.array([self.a, 0.0, 0.0])
        a2 = np.array([self.b * np.cos(ga), self.b * np.sin(ga), 0.0])
        cy = (np.cos(al) - np.cos(be) * np.cos(ga)) / np.sin(ga)
        a3 = np.array([self.c * np.cos(be), self.c * cy, self.c * np.sqrt(max(np.sin(be) ** 2 - cy**2, 0.0))])
        return np.stack([a1, a2, a3], axis=1)

    def reciprocal_basis(self) -> np.ndarray:
        """Columns b1, b2, b3 with a_i . b_j = 2 pi delta_ij."""
        return 2.0 * np.pi * np.linalg.inv(self.real_basis()).T


_HKL = np.array([h for h in itertools.product(range(-MAX_INDEX, MAX_INDEX + 1), repeat=3) if any(h)], dtype=float)
# A crude structure-factor weight: perovskite-like cells scatter more strongly for even h+k+l.
_HKL_WEIGHT = np.where(_HKL.sum(axis=1) % 2 == 0, 1.0, 0.55)


def rotation(angles_deg: Sequence[float]) -> np.ndarray:
    """Rotation matrix from small x, y, z rotation angles (degrees), applied in that order."""
    rx, ry, rz = np.radians(angles_deg)
    cx, sx, cy, sy, cz, sz = np.cos(rx), np.sin(rx), np.cos(ry), np.sin(ry), np.cos(rz), np.sin(rz)
    mx = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    my = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    mz = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    return mz @ my @ mx


def _pixel_directions(stride: int) -> np.ndarray:
    """Unit direction of every (strided) pixel, shape (nu, nv, 3); symmetric about the detector centre."""
    nu, nv = SHAPE[0], SHAPE[1]
    u = (np.arange(0, nu, stride) - (nu - 1) / 2) * PIXEL_MM
    v = (np.arange(0, nv, stride) - (nv - 1) / 2) * PIXEL_MM
    x, y = np.meshgrid(u, v, indexing="ij")
    p = np.stack([x, y, np.full_like(x, DISTANCE_MM)], axis=-1)
    return p / np.linalg.norm(p, axis=-1, keepdims=True)


_DIRS = _pixel_directions(RENDER_STRIDE)
_DIRS_T = np.ascontiguousarray(_DIRS.reshape(-1, 3).T, dtype=np.float32)  # (3, P)
# A sparse probe grid used to drop cones that miss the detector before the expensive evaluation.
_PROBE = _pixel_directions(8).reshape(-1, 3)
# Intensity envelope: horizontal polarisation factor times a broad fall-off away from the beam centre.
_ENVELOPE = ((1.0 - _DIRS[..., 0] ** 2) * np.exp(-(1.0 - _DIRS[..., 2]) / 0.12)).astype(np.float32)


def kossel_lines(lattice: Lattice, orient: np.ndarray) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Candidate Kossel cones: unit axes (M, 3) in the lab frame, |G| (M,) in 1/angstrom, weights (M,).

    The cone of reflection G at wavelength lambda has cosine ``sin(theta_B) = lambda |G| / (4 pi)``.
    """
    g = _HKL @ (orient @ lattice.reciprocal_basis()).T
    gnorm = np.linalg.norm(g, axis=1)
    return g / gnorm[:, None], gnorm, _HKL_WEIGHT


def render_lines(
    lattice: Lattice,
    orient: np.ndarray,
    wavelengths: Sequence[float] = WAVELENGTHS_A,
    width: float = LINE_WIDTH,
) -> np.ndarray:
    """Noise-free line intensity (487, 195, len(wavelengths)): sums of Lorentzian line profiles.

    Cones that cannot diffract (d_hkl < lambda/2) or miss the detector (checked on a sparse probe grid)
    are dropped first.  Lines are evaluated on a strided grid and bilinearly interpolated back to full
    resolution; they are wider than the stride so nothing is lost.
    """
    axes, gnorm, weight = kossel_lines(lattice, orient)
    cos_probe = _PROBE @ axes.T  # (probe, M)
    cos_pix = None
    out = np.empty(SHAPE[:2] + (len(wavelengths),), dtype=np.float32)
    for ch, wl in enumerate(wavelengths):
        s = wl * gnorm / (4.0 * np.pi)
        f = cos_probe - s
        hit = (s < 1.0) & (f.min(axis=0) < 0.02) & (f.max(axis=0) > -0.02)
        if cos_pix is None:  # (M, P) float32, shared by all wavelengths; row-major keeps BLAS fast
            cos_pix = axes.astype(np.float32) @ _DIRS_T
        d = cos_pix[hit] - s[hit, None].astype(np.float32)
        d *= np.float32(1.0 / width)
        d *= d
        d += 1.0
        np.reciprocal(d, out=d)
        w = (weight[hit] * np.exp(-3.0 * s[hit] ** 2)).astype(np.float32)  # Debye-Waller-like fall-off
        coarse = (w @ d).reshape(_DIRS.shape[:2]) * _ENVELOPE
        out[..., ch] = _upsample(coarse)
    return out


def _upsample(coarse: np.ndarray) -> np.ndarray:
    """Bilinear interpolation from the strided grid back to the full (487, 195) grid."""
    nu, nv = SHAPE[0], SHAPE[1]
    pu = np.arange(nu) / RENDER_STRIDE
    pv = np.arange(nv) / RENDER_STRIDE
    iu = np.minimum(pu.astype(int), coarse.shape[0] - 2)
    iv = np.minimum(pv.astype(int), coarse.shape[1] - 2)
    tu = (pu - iu)[:, None].astype(np.float32)
    tv = (pv - iv)[None, :].astype(np.float32)
    c00 = coarse[iu][:, iv]
    c10 = coarse[iu + 1][:, iv]
    c01 = coarse[iu][:, iv + 1]
    c11 = coarse[iu + 1][:, iv + 1]
    return (c00 * (1 - tu) * (1 - tv) + c10 * tu * (1 - tv) + c01 * (1 - tu) * tv + c11 * tu * tv).astype(np.float32)


def background(rng: np.random.Generator) -> np.ndarray:
    """Smooth diffuse/thermal background (487, 195): a broad hump near the beam centre plus a gradient."""
    nu, nv = SHAPE[0], SHAPE[1]
    u = np.linspace(-1.0, 1.0, nu, dtype=np.float32)[:, None]
    v = np.linspace(-1.0, 1.0, nv, dtype=np.float32)[None, :]
    cu, cv = rng.normal(0.0, 0.15, size=2)
    hump = np.exp(-((u - cu) ** 2 + (v - cv) ** 2) / (2 * rng.uniform(0.4, 0.8) ** 2))
    grad = 1.0 + rng.uniform(-0.15, 0.15) * u + rng.uniform(-0.15, 0.15) * v
    return (rng.uniform(0.3, 0.6) * hump * grad + rng.uniform(0.05, 0.15)).astype(np.float32)


def pattern(
    lattices: Sequence[Lattice],
    fractions: Sequence[float],
    orient: np.ndarray,
    rng: np.random.Generator,
    flux: float,
    read_noise: float = 0.01,
    line_strength: Optional[float] = None,
) -> np.ndarray:
    """One noisy pattern (487, 195, 3) float32: lines of every phase present, background, counting noise.

    ``flux`` is the expected photon count of a unit-intensity pixel; Poisson noise at that flux plus a
    Gaussian read noise make the image.  The three channels are three beam energies, so every line
    family appears three times, shifted by the change of Bragg angle with wavelength.
    """
    strength = rng.uniform(0.6, 1.0) if line_strength is None else line_strength
    lines = sum(fr * render_lines(lat, orient) for lat, fr in zip(lattices, fractions))
    mean = np.stack([background(rng) for _ in WAVELENGTHS_A], axis=-1) + strength * lines
    # Counting noise: the normal approximation of Poisson(mean * flux) / flux (flux >= ~20 counts, where
    # the two are indistinguishable here) combined with the detector read noise in one draw.
    sd = np.sqrt(np.maximum(mean, 0.0) / np.float32(flux) + np.float32(read_noise**2))
    return (mean + sd * rng.standard_normal(size=mean.shape, dtype=np.float32)).astype(np.float32)


def mirror_asymmetry(image: np.ndarray, axis: int) -> float:
    """Relative difference between an image and its mirror along ``axis`` (0: symmetric)."""
    flipped = np.flip(image, axis=axis)
    centred = image - image.mean()
    return float(np.linalg.norm(image - flipped) / (np.linalg.norm(centred) + 1e-12))
