"""A simplified radiative picture of one daytime Sentinel-3 SLSTR scene (1200 x 1500 pixels, 1 km).

Why these ingredients: each one is a reason a single brightness/temperature threshold fails on real
SLSTR data, so a model has to learn spectral and spatial context to beat the classical test.

- Surfaces: ocean (dark, SST from cold to warm) and land mixing vegetation, soil, bright desert and
  snow on high ground.  Snow is bright *and* cold (a threshold calls it cloud) but dark at 1.6 um.
- Clouds: a low water layer and a high thin ice (cirrus) layer, each a 1/f ("fractal") optical-depth
  field thresholded to the scene's cover fraction, so edges are ragged and sizes span scales.
- Radiative mixing: adding-method reflectance per layer, emissivity 1 - exp(-tau/2) for brightness
  temperature, so thin cloud is only slightly brighter and slightly colder than what lies beneath.
- The 1.375 um channel (S4) sits in a strong water-vapour band: what lies under the vapour column is
  attenuated by exp(-k W_above), with W_above the precipitable water above the reflector (scale height
  2 km).  Cirrus (above the vapour) is bright there; low cloud is largely invisible; but in dry, cold
  air masses and over high terrain the surface and low cloud show through (the known failure of the
  1.38 um cirrus test: Gao et al. 1993, GRL 20:301; Ackerman et al. 1998, JGR 103:32141, MOD35).
  Cirrus also shows in the 10.8 - 12 um split-window difference; low warm cloud over cold water barely
  changes BT.
- The label is a model of the operational Bayesian mask, not the truth: its detection limit shifts with
  the NWP prior (a smooth field), it is probabilistic near that limit, and its texture term (the local
  3 x 3 standard deviation of BT, Merchant et al. 2005, QJRMS 131:2735; Bulgin et al. 2018, RSE 218:142)
  flags the cloud-adjacent ring of pixels that look clear on their own.
- Sun glint: a broad bright patch on the ocean, warm in the thermal and very warm at 3.7 um.

Channel order follows SLSTR: refs = S1..S6 (0.555, 0.659, 0.865, 1.375, 1.61, 2.25 um, reflectance)
and bts = S7..S9 (3.74, 10.85, 12.0 um, brightness temperature in K).

Same bytes on every machine: every array is float64 until the scene is rounded to float32 once, at the
end (numpy's float32 exp/log take CPU-specific SIMD paths whose results differ in the last float32
bits; float64 differences of an ulp vanish in that one rounding).  The spectral amplitudes use libm's
pow per element, the FFT is scipy's pocketfft (no runtime CPU dispatch), and no BLAS is involved.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Tuple

import numpy as np
import scipy.fft
from scipy import ndimage

HEIGHT, WIDTH = 1200, 1500
N_REFS, N_BTS = 6, 3
TAU_LOW_LABEL = 1.0  # optical depth above which a low-cloud pixel is flagged (what a Bayesian mask detects)
TAU_CIRRUS_LABEL = 0.4  # the same for cirrus: thinner, but S4 and the split window give it away
K_1375 = 5.0  # two-way absorption at 1.375 um per cm of precipitable water above the reflector
H_VAPOUR_KM = 2.0  # water-vapour scale height
TEXTURE_K = 0.8  # BT 3x3 standard deviation (K) above which the mask's texture term flags a cloud-adjacent pixel
ADJACENT_PX = 2  # how far from a detected cloud the texture term reaches (pixels)

# Surface reflectance spectra, S1..S6 (typical values from spectral libraries, rounded).  S4 is the
# surface's own reflectance at 1.375 um, *before* the water vapour above it (see _vapour_transmittance).
OCEAN = np.array([0.035, 0.022, 0.010, 0.006, 0.004, 0.002], dtype=np.float64)
VEGETATION = np.array([0.05, 0.045, 0.32, 0.20, 0.20, 0.09], dtype=np.float64)
SOIL = np.array([0.11, 0.16, 0.24, 0.30, 0.32, 0.26], dtype=np.float64)
DESERT = np.array([0.26, 0.34, 0.40, 0.46, 0.50, 0.45], dtype=np.float64)
SNOW = np.array([0.86, 0.83, 0.76, 0.25, 0.09, 0.05], dtype=np.float64)
# Cloud reflectance relative to the visible, per channel: flat in S1..S3, a little liquid/ice absorption
# at 1.375 um, absorbed at 1.6/2.25 um (more for ice).  The vapour above the cloud is applied separately.
WATER_CLOUD_SHAPE = np.array([1.0, 1.0, 0.98, 0.90, 0.75, 0.55], dtype=np.float64)
ICE_CLOUD_SHAPE = np.array([1.0, 1.0, 0.98, 0.90, 0.45, 0.30], dtype=np.float64)
GLINT_SHAPE = np.array([1.0, 1.0, 0.95, 0.90, 0.85, 0.80], dtype=np.float64)


@dataclass(frozen=True)
class Scene:
    """One simulated scene in the real file's array layout, plus the truth behind its mask."""

    refs: np.ndarray  # (H, W, 6) float32 reflectance
    bts: np.ndarray  # (H, W, 3) float32 brightness temperature, K
    bayes: np.ndarray  # (H, W, 1) uint8 flag bits: 1 low cloud, 2 cirrus, 4 cloud-adjacent; > 0 means cloud
    land: np.ndarray  # (H, W) bool
    glint: np.ndarray  # (H, W) float32 glint reflectance added on the ocean


@lru_cache(maxsize=32)
def _amplitude(shape: Tuple[int, int], beta: float, outer_px: float, stretch: float) -> np.ndarray:
    """Spectral amplitude (k^2 + k0^2)^(-beta/4) on the rfft grid, from libm's pow (cached: 10 of a scene's
    11 fields share their parameters)."""
    h, w = shape
    ky = np.fft.fftfreq(h)[:, None]
    kx = np.fft.rfftfreq(w)[None, :] / stretch
    k2 = kx * kx + ky * ky + (1.0 / outer_px) ** 2
    e = -beta / 4.0
    flat = k2.ravel().tolist()
    amp = np.fromiter((math.pow(v, e) for v in flat), dtype=np.float64, count=len(flat)).reshape(k2.shape)
    amp[0, 0] = 0.0
    amp.flags.writeable = False
    return amp


def fractal_noise(
    shape: Tuple[int, int], beta: float, rng: np.random.Generator, outer_px: float = 400.0, stretch: float = 1.0
) -> np.ndarray:
    """Zero-mean, unit-variance Gaussian field (float64) with power spectrum ~ (k^2 + k0^2)^(-beta/2).

    beta ~ 2.7 is the observed slope of cloud optical-depth spectra (k^-5/3 in one dimension);
    ``outer_px`` caps the largest structures; ``stretch`` > 1 elongates along x (cirrus streaks).
    """
    amp = _amplitude(tuple(shape), float(beta), float(outer_px), float(stretch))
    spec = np.empty(amp.shape, np.complex128)
    spec.real = rng.standard_normal(amp.shape, dtype=np.float32) * amp  # ziggurat on integers: CPU-independent
    spec.imag = rng.standard_normal(amp.shape, dtype=np.float32) * amp
    field = scipy.fft.irfft2(spec, s=shape, workers=1)
    field -= field.mean()
    field /= field.std() + 1e-12
    return field


def _exp1d(x: np.ndarray) -> np.ndarray:
    """libm exp of a 1-D vector, element by element (not numpy's CPU-dispatched SIMD exp)."""
    vals = np.asarray(x, dtype=np.float64).tolist()
    return np.fromiter((math.exp(v) for v in vals), dtype=np.float64, count=len(vals))


def _threshold_for_fraction(field: np.ndarray, fraction: float) -> float:
    """The level above which ``fraction`` of the field lies (cheaply, from a strided sample)."""
    return float(np.quantile(field[::4, ::4], 1.0 - fraction))


def _add_layer(below: np.ndarray, r_cloud: np.ndarray) -> np.ndarray:
    """Adding method for a non-absorbing layer of reflectance R over a Lambertian surface: R + T^2 Rs / (1 - R Rs)."""
    t = 1.0 - r_cloud
    return r_cloud + t * t * below / (1.0 - r_cloud * below)


def _cloud_reflectance(tau: np.ndarray) -> np.ndarray:
    """Two-stream reflectance of a conservative-scattering layer (asymmetry g = 0.85)."""
    s = 0.15 * tau
    return s / (2.0 + s)


def _vapour_transmittance(pwv_cm: np.ndarray, height_km: np.ndarray) -> np.ndarray:
    """Two-way 1.375 um transmittance of the vapour above a reflector at ``height_km``: exp(-k W e^(-z/H))."""
    return np.exp(-K_1375 * pwv_cm * np.exp(-height_km / H_VAPOUR_KM))


def _local_std(field: np.ndarray) -> np.ndarray:
    """3 x 3 standard deviation (the Bayesian mask's texture feature), float64, edges reflected."""
    mean = ndimage.uniform_filter(field, size=3, mode="reflect")
    sq = ndimage.uniform_filter(field * field, size=3, mode="reflect")
    return np.sqrt(np.clip(sq - mean * mean, 0.0, None))


def simulate(rng: np.random.Generator, shape: Tuple[int, int] = (HEIGHT, WIDTH)) -> Scene:
    """Simulate one daytime scene; every scene draws its own land share, cover and temperatures."""
    h, w = shape
    yy = np.linspace(-1.0, 1.0, h)[:, None]
    xx = np.linspace(-1.0, 1.0, w)[None, :]

    # --- surface ----------------------------------------------------------------------------
    land_field = fractal_noise(shape, 3.4, rng, outer_px=600.0)
    land_share = rng.uniform(0.0, 0.7)
    land = land_field > _threshold_for_fraction(land_field, land_share) if land_share > 0.02 else np.zeros(shape, bool)
    elevation = np.clip(fractal_noise(shape, 3.0, rng, outer_px=300.0) * 0.9 + 0.5, 0.0, None)  # km
    elevation *= land
    dryness = 1.0 / (1.0 + np.exp(-2.5 * (fractal_noise(shape, 3.2, rng) + rng.uniform(-1.2, 1.2))))

    t_base = rng.uniform(273.0, 302.0)  # the air mass: high latitudes to tropics
    gradient = rng.uniform(-6.0, 6.0) * yy  # along-track temperature gradient (~1200 km)
    sst = t_base + gradient + 1.2 * fractal_noise(shape, 3.0, rng, outer_px=200.0)
    sst = np.maximum(sst, 271.3)
    t_land = t_base + gradient + rng.uniform(-3.0, 8.0) + 7.0 * dryness - 6.5 * elevation
    snow = land & (t_land < 271.0)

    veg_soil = (1.0 - dryness)[..., None] * VEGETATION + dryness[..., None] * SOIL
    desert_w = np.clip((dryness - 0.7) / 0.2, 0.0, 1.0)[..., None]
    land_refl = (1.0 - desert_w) * veg_soil + desert_w * DESERT
    land_refl = np.where(snow[..., None], SNOW, land_refl)
    texture = 1.0 + 0.08 * fractal_noise(shape, 2.0, rng, outer_px=50.0)[..., None]
    surf = np.where(land[..., None], land_refl * texture, OCEAN * (1.0 + 0.1 * texture - 0.1))
    t_surf = np.where(land, np.where(snow, np.minimum(t_land, 268.0), t_land), sst)

    # sun glint: present in most scenes, a broad bright ellipse on the ocean, roughened by waves
    glint = np.zeros(shape, np.float64)
    if rng.uniform() < 0.8:
        cy, cx = rng.uniform(-0.6, 0.6), rng.uniform(-1.0, 1.0)
        sy, sx = rng.uniform(0.25, 0.6), rng.uniform(0.15, 0.35)
        peak = rng.uniform(0.15, 0.45)
        waves = np.clip(1.0 + 0.35 * fractal_noise(shape, 2.2, rng, outer_px=40.0), 0.2, None)
        profile = _exp1d(-0.5 * ((yy[:, 0] - cy) / sy) ** 2)[:, None] * _exp1d(-0.5 * ((xx[0] - cx) / sx) ** 2)[None, :]
        glint = peak * profile * waves * ~land  # the ellipse is axis-aligned: a separable profile
    surf = surf + glint[..., None] * GLINT_SHAPE

    # --- clouds -------------------------------------------------------------------------------
    low_cover = rng.uniform(0.1, 0.55)
    low = fractal_noise(shape, 3.0, rng, outer_px=250.0)
    tau_low = np.clip(low - _threshold_for_fraction(low, low_cover), 0.0, None) * rng.uniform(15.0, 40.0)
    top_km = np.clip(rng.uniform(1.0, 3.5) + 1.0 * fractal_noise(shape, 3.0, rng), 0.5, 6.0)
    t_low = t_base + gradient - 6.5 * top_km + 2.0  # cloud top temperature from its height

    ci_cover = rng.uniform(0.0, 0.3)
    ci = fractal_noise(shape, 3.0, rng, outer_px=300.0, stretch=rng.uniform(2.0, 4.0))
    tau_ci = np.clip(ci - _threshold_for_fraction(ci, ci_cover), 0.0, None) * rng.uniform(1.5, 4.0) if ci_cover > 0.02 else np.zeros(shape, np.float64)
    t_ci = rng.uniform(215.0, 240.0) + 3.0 * fractal_noise(shape, 3.0, rng)

    # precipitable water (cm): ~0.3 in polar air to ~3 in the tropics (Clausius-Clapeyron, ~7 %/K), drier
    # over dry land; it sets both the 1.375 um transmittance and the clear-sky split-window difference
    moist = fractal_noise(shape, 3.0, rng)
    pwv = 0.3 * np.exp(0.08 * (t_base - 273.0) + 0.35 * moist) * (1.0 - 0.5 * dryness * land)

    r_low = _cloud_reflectance(tau_low)[..., None] * WATER_CLOUD_SHAPE
    r_ci = _cloud_reflectance(tau_ci)[..., None] * ICE_CLOUD_SHAPE
    refs = _add_layer(surf, r_low)
    # S4: surface and low cloud seen through the vapour above each of them; cirrus (~10 km) sits above it
    s4_surface = surf[..., 3] * _vapour_transmittance(pwv, elevation)
    refs[..., 3] = _add_layer(s4_surface, r_low[..., 3] * _vapour_transmittance(pwv, top_km))
    refs = _add_layer(refs, r_ci)

    e_low = 1.0 - np.exp(-0.5 * tau_low)
    e_ci = 1.0 - np.exp(-0.5 * tau_ci)
    bt11 = e_low * t_low + (1.0 - e_low) * t_surf
    bt11 = e_ci * t_ci + (1.0 - e_ci) * bt11
    humidity = 0.3 + 0.45 * pwv  # clear-sky BT10.8 - BT12 (K) grows with the water vapour
    split = humidity * (1.0 - e_low) * (1.0 - e_ci) + 5.0 * e_ci * (1.0 - e_ci) + 0.3 * e_low
    bt12 = bt11 - split
    # 3.7 um by day: emission plus reflected sunlight, large for water cloud and glint, small for ice/snow
    bt37 = bt11 + np.where(snow, 0.0, 4.0) + 14.0 * e_low * (1.0 - e_ci) + 60.0 * glint + e_ci
    bt37 = np.minimum(bt37, 340.0)  # the 3.7 um channel saturates over hot glint
    bts = np.stack([bt37, bt11, bt12], axis=-1)

    refs += rng.standard_normal(refs.shape, dtype=np.float32) * 0.003  # sensor noise
    bts += rng.standard_normal(bts.shape, dtype=np.float32) * 0.08
    flags = bayesian_mask(tau_low, tau_ci, bt11, rng)
    return Scene(  # the one rounding to float32
        refs=np.clip(refs, 0.0, None).astype(np.float32), bts=bts.astype(np.float32), bayes=flags[..., None],
        land=land, glint=glint.astype(np.float32),
    )


def bayesian_mask(tau_low: np.ndarray, tau_ci: np.ndarray, bt11: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(H, W) uint8 flags as an operational Bayesian mask would set them: 1 low cloud, 2 cirrus, 4 cloud-adjacent.

    - The detection limit (tau 1 for low cloud, 0.4 for cirrus) scales with the NWP prior, a smooth field
      (+-40 %): where the forecast expects cloud, thinner cloud is flagged.
    - Near that limit the posterior is close to the threshold, so the flag is a coin toss: each pixel's
      limit is jittered by a further ~15 % (the mask's label noise at cloud edges).
    - The texture term: a pixel within ``ADJACENT_PX`` of a flagged cloud whose 3 x 3 BT10.8 standard
      deviation exceeds ``TEXTURE_K`` is flagged too, although on its own it looks clear.
    """
    shape = tau_low.shape
    prior = np.exp(0.35 * fractal_noise(shape, 3.5, rng, outer_px=500.0))
    jitter = np.exp(0.15 * rng.standard_normal(shape, dtype=np.float32).astype(np.float64))
    low = tau_low > TAU_LOW_LABEL * prior * jitter
    cirrus = tau_ci > TAU_CIRRUS_LABEL * prior * jitter
    cloud = low | cirrus
    near = ndimage.binary_dilation(cloud, structure=np.ones((3, 3), bool), iterations=ADJACENT_PX)
    adjacent = near & ~cloud & (_local_std(bt11) > TEXTURE_K)
    return low.astype(np.uint8) | (cirrus.astype(np.uint8) << 1) | (adjacent.astype(np.uint8) << 2)


__all__ = ["HEIGHT", "WIDTH", "N_REFS", "N_BTS", "Scene", "bayesian_mask", "fractal_noise", "simulate"]
