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
import math
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


# Why no BLAS and no vectorised transcendental in this file: the bytes of a dataset must depend only on
# (dataset, scale, seed, generator version), never on the CPU.  numpy's float32 exp/sin/... take
# CPU-specific SIMD paths and BLAS kernels sum in kernel-specific orders (measured: the float32 matrix
# products once used here changed 62 % of pixels between OpenBLAS kernels).  So: matrix products are
# written out as fixed-order sums of element-wise float64 operations (IEEE-exact and identical on every
# CPU), transcendentals are taken per scalar from libm (``math``) on small vectors, and a pattern is
# rounded to float32 once, at the end.  Remaining libm differences are below one float64 ulp, far under
# the float32 rounding step.


def _mm(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b`` for a (..., K) by (K, N) as a fixed-order float64 sum (no BLAS)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    out = a[..., 0:1] * b[0]
    for k in range(1, b.shape[0]):
        out = out + a[..., k : k + 1] * b[k]
    return out


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
        al, be, ga = (math.radians(x) for x in (self.alpha, self.beta, self.gamma))
        a1 = np.array([self.a, 0.0, 0.0])
        a2 = np.array([self.b * math.cos(ga), self.b * math.sin(ga), 0.0])
        cy = (math.cos(al) - math.cos(be) * math.cos(ga)) / math.sin(ga)
        a3 = np.array([self.c * math.cos(be), self.c * cy, self.c * math.sqrt(max(math.sin(be) ** 2 - cy**2, 0.0))])
        return np.stack([a1, a2, a3], axis=1)

    def reciprocal_basis(self) -> np.ndarray:
        """Columns b1, b2, b3 with a_i . b_j = 2 pi delta_ij (cross products: no LAPACK inverse)."""
        r = self.real_basis()
        a1, a2, a3 = r[:, 0], r[:, 1], r[:, 2]
        vol = float(a1[0] * (a2[1] * a3[2] - a2[2] * a3[1]) - a1[1] * (a2[0] * a3[2] - a2[2] * a3[0])
                    + a1[2] * (a2[0] * a3[1] - a2[1] * a3[0]))
        cols = [np.cross(a2, a3), np.cross(a3, a1), np.cross(a1, a2)]
        return np.stack([2.0 * math.pi * c / vol for c in cols], axis=1)


_HKL = np.array([h for h in itertools.product(range(-MAX_INDEX, MAX_INDEX + 1), repeat=3) if any(h)], dtype=float)
# A crude structure-factor weight: perovskite-like cells scatter more strongly for even h+k+l.
_HKL_WEIGHT = np.where(_HKL.sum(axis=1) % 2 == 0, 1.0, 0.55)


def rotation(angles_deg: Sequence[float]) -> np.ndarray:
    """Rotation matrix from small x, y, z rotation angles (degrees), applied in that order."""
    rx, ry, rz = (math.radians(float(x)) for x in angles_deg)
    cx, sx, cy, sy, cz, sz = math.cos(rx), math.sin(rx), math.cos(ry), math.sin(ry), math.cos(rz), math.sin(rz)
    mx = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]], dtype=np.float64)
    my = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]], dtype=np.float64)
    mz = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]], dtype=np.float64)
    return _mm(_mm(mz, my), mx)


def _norm3(p: np.ndarray) -> np.ndarray:
    """Euclidean length over the last axis (3 components), summed in a fixed order."""
    return np.sqrt(p[..., 0] * p[..., 0] + p[..., 1] * p[..., 1] + p[..., 2] * p[..., 2])


def _pixel_directions(stride: int) -> np.ndarray:
    """Unit direction of every (strided) pixel, shape (nu, nv, 3); symmetric about the detector centre."""
    nu, nv = SHAPE[0], SHAPE[1]
    u = (np.arange(0, nu, stride) - (nu - 1) / 2) * PIXEL_MM
    v = (np.arange(0, nv, stride) - (nv - 1) / 2) * PIXEL_MM
    x, y = np.meshgrid(u, v, indexing="ij")
    p = np.stack([x, y, np.full_like(x, DISTANCE_MM)], axis=-1)
    return p / _norm3(p)[..., None]


def _exp(x: np.ndarray) -> np.ndarray:
    """Element-wise exp from libm, one scalar at a time (used on small arrays only: see the note above)."""
    flat = np.asarray(x, dtype=np.float64).ravel()
    return np.fromiter((math.exp(v) for v in flat.tolist()), dtype=np.float64, count=flat.size).reshape(np.shape(x))


_DIRS = _pixel_directions(RENDER_STRIDE)  # (nu, nv, 3) float64
_DIRS_FLAT = [np.ascontiguousarray(_DIRS[..., k].ravel()) for k in range(3)]  # x, y, z of every pixel, (P,)
# A sparse probe grid used to drop cones that miss the detector before the expensive evaluation.
_PROBE = _pixel_directions(8).reshape(-1, 3)
# Intensity envelope: horizontal polarisation factor times a broad fall-off away from the beam centre.
_ENVELOPE = (1.0 - _DIRS[..., 0] ** 2) * _exp(-(1.0 - _DIRS[..., 2]) / 0.12)


def kossel_lines(lattice: Lattice, orient: np.ndarray) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Candidate Kossel cones: unit axes (M, 3) in the lab frame, |G| (M,) in 1/angstrom, weights (M,).

    The cone of reflection G at wavelength lambda has cosine ``sin(theta_B) = lambda |G| / (4 pi)``.
    """
    g = _mm(_HKL, _mm(orient, lattice.reciprocal_basis()).T)
    gnorm = _norm3(g)
    return g / gnorm[:, None], gnorm, _HKL_WEIGHT


def lines64(
    lattice: Lattice,
    orient: np.ndarray,
    wavelengths: Sequence[float] = WAVELENGTHS_A,
    width: float = LINE_WIDTH,
) -> np.ndarray:
    """Noise-free line intensity (487, 195, len(wavelengths)) in float64: sums of Lorentzian line profiles.

    Cones that cannot diffract (d_hkl < lambda/2) or miss the detector (checked on a sparse probe grid)
    are dropped first.  Lines are evaluated on a strided grid and bilinearly interpolated back to full
    resolution; they are wider than the stride so nothing is lost.  The sum over cones runs in cone
    order, one cone at a time (a fixed order: no BLAS reduction).
    """
    axes, gnorm, weight = kossel_lines(lattice, orient)
    cos_probe = _mm(_PROBE, axes.T)  # (probe, M)
    out = np.empty(SHAPE[:2] + (len(wavelengths),), dtype=np.float64)
    inv_w = 1.0 / width
    for ch, wl in enumerate(wavelengths):
        s = wl * gnorm / (4.0 * math.pi)
        f = cos_probe - s
        hit = np.flatnonzero((s < 1.0) & (f.min(axis=0) < 0.02) & (f.max(axis=0) > -0.02))
        acc = np.zeros(_DIRS_FLAT[0].shape, dtype=np.float64)
        for m in hit.tolist():
            ax = axes[m]
            d = _DIRS_FLAT[0] * ax[0] + _DIRS_FLAT[1] * ax[1] + _DIRS_FLAT[2] * ax[2]
            d -= s[m]
            d *= inv_w
            d *= d
            d += 1.0
            w = float(weight[m]) * math.exp(-3.0 * float(s[m]) ** 2)  # Debye-Waller-like fall-off
            acc += w / d
        out[..., ch] = _upsample(acc.reshape(_DIRS.shape[:2]) * _ENVELOPE)
    return out


def render_lines(
    lattice: Lattice,
    orient: np.ndarray,
    wavelengths: Sequence[float] = WAVELENGTHS_A,
    width: float = LINE_WIDTH,
) -> np.ndarray:
    """``lines64`` rounded to float32 (for inspection and tests; patterns use the float64 lines)."""
    return lines64(lattice, orient, wavelengths, width).astype(np.float32)


def _upsample(coarse: np.ndarray) -> np.ndarray:
    """Bilinear interpolation from the strided grid back to the full (487, 195) grid (float64)."""
    nu, nv = SHAPE[0], SHAPE[1]
    pu = np.arange(nu) / RENDER_STRIDE
    pv = np.arange(nv) / RENDER_STRIDE
    iu = np.minimum(pu.astype(int), coarse.shape[0] - 2)
    iv = np.minimum(pv.astype(int), coarse.shape[1] - 2)
    tu = (pu - iu)[:, None]
    tv = (pv - iv)[None, :]
    c00 = coarse[iu][:, iv]
    c10 = coarse[iu + 1][:, iv]
    c01 = coarse[iu][:, iv + 1]
    c11 = coarse[iu + 1][:, iv + 1]
    return c00 * (1 - tu) * (1 - tv) + c10 * tu * (1 - tv) + c01 * (1 - tu) * tv + c11 * tu * tv


_U = np.linspace(-1.0, 1.0, SHAPE[0])
_V = np.linspace(-1.0, 1.0, SHAPE[1])


def background(rng: np.random.Generator) -> np.ndarray:
    """Smooth diffuse/thermal background (487, 195) float64: a broad hump near the beam centre plus a gradient.

    The Gaussian hump is separable, so it is the outer product of two libm-evaluated profiles.
    """
    cu, cv = rng.normal(0.0, 0.15, size=2)
    two_var = 2 * rng.uniform(0.4, 0.8) ** 2
    hump = _exp(-((_U - cu) ** 2) / two_var)[:, None] * _exp(-((_V - cv) ** 2) / two_var)[None, :]
    grad = 1.0 + rng.uniform(-0.15, 0.15) * _U[:, None] + rng.uniform(-0.15, 0.15) * _V[None, :]
    return rng.uniform(0.3, 0.6) * hump * grad + rng.uniform(0.05, 0.15)


def pattern(
    lattices: Sequence[Lattice],
    fractions: Sequence[float],
    orient: np.ndarray,
    rng: np.random.Generator,
    flux: float,
    read_noise: float = 0.01,
    line_strength: Optional[float] = None,
    width: float = LINE_WIDTH,
) -> np.ndarray:
    """One noisy pattern (487, 195, 3) float32: lines of every phase present, background, counting noise.

    ``flux`` is the expected photon count of a unit-intensity pixel; Poisson noise at that flux plus a
    Gaussian read noise make the image.  The three channels are three beam energies, so every line
    family appears three times, shifted by the change of Bragg angle with wavelength.  Computed in
    float64 and rounded to float32 once.  ``width`` is the Lorentzian half-width of the lines: the
    crystal's mosaic spread, which varies from sample to sample.
    """
    strength = rng.uniform(0.6, 1.0) if line_strength is None else line_strength
    lines = np.zeros(SHAPE, dtype=np.float64)
    for lat, fr in zip(lattices, fractions):
        lines += float(fr) * lines64(lat, orient, width=width)
    mean = np.stack([background(rng) for _ in WAVELENGTHS_A], axis=-1) + strength * lines
    # Counting noise: the normal approximation of Poisson(mean * flux) / flux (flux >= ~20 counts, where
    # the two are indistinguishable here) combined with the detector read noise in one draw.
    sd = np.sqrt(np.maximum(mean, 0.0) / float(flux) + read_noise**2)
    noise = rng.standard_normal(size=mean.shape, dtype=np.float32)  # ziggurat on integers: CPU-independent
    return (mean + sd * noise).astype(np.float32)


def mirror_asymmetry(image: np.ndarray, axis: int) -> float:
    """Relative difference between an image and its mirror along ``axis`` (0: symmetric)."""
    flipped = np.flip(image, axis=axis)
    centred = image - image.mean()
    return float(np.linalg.norm(image - flipped) / (np.linalg.norm(centred) + 1e-12))
