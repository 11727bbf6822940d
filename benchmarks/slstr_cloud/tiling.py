"""Cutting scenes into patches for training, and stitching patch predictions back into whole scenes.

Training follows SciMLBench: centre-crop the 1200 x 1500 scene to 1024 x 1280 (the largest multiple of
the 256 patch) and cut it into 4 x 5 = 20 non-overlapping patches.

Inference covers the *whole* scene, borders outside the training crop included: patches are laid
with a stride smaller than the patch (the last row/column flush with the scene edge), and every pixel's
probability is the weighted mean of all patches covering it.  Weights fall linearly towards a patch's
edge (where a convolution sees zero padding instead of context) but stay positive, so pixels at the
scene border, covered only by edges, are still predicted.
"""

from __future__ import annotations

from typing import Callable, List, Tuple

import numpy as np

PATCH = 256
CROP = (1024, 1280)


def crop_offsets(height: int, width: int, patch: int = PATCH) -> Tuple[int, int]:
    """Top-left corner of the centred crop whose sides are multiples of ``patch`` (88, 110 for SLSTR)."""
    return (height % patch) // 2, (width % patch) // 2


def training_patches(image: np.ndarray, mask: np.ndarray, patch: int = PATCH) -> Tuple[np.ndarray, np.ndarray]:
    """(C, H, W) image and (H, W) mask -> (N, C, p, p) and (N, p, p) patches of the centre crop, row-major."""
    c, h, w = image.shape
    oy, ox = crop_offsets(h, w, patch)
    ny, nx = h // patch, w // patch
    img = image[:, oy : oy + ny * patch, ox : ox + nx * patch]
    msk = mask[oy : oy + ny * patch, ox : ox + nx * patch]
    img = img.reshape(c, ny, patch, nx, patch).transpose(1, 3, 0, 2, 4).reshape(ny * nx, c, patch, patch)
    msk = msk.reshape(ny, patch, nx, patch).transpose(0, 2, 1, 3).reshape(ny * nx, patch, patch)
    return np.ascontiguousarray(img), np.ascontiguousarray(msk)


def origins(length: int, patch: int, stride: int) -> List[int]:
    """Patch start positions covering ``[0, length)``: every ``stride``, the last one flush with the end."""
    if length < patch:
        raise ValueError(f"slstr_cloud: a scene side of {length} px is smaller than the {patch} px patch")
    if not 0 < stride <= patch:
        raise ValueError(f"slstr_cloud: inference stride must be in (0, {patch}], got {stride}")
    starts = list(range(0, length - patch + 1, stride))
    if starts[-1] != length - patch:
        starts.append(length - patch)
    return starts


def patch_weights(patch: int) -> np.ndarray:
    """(p, p) weights: 1 in the centre falling linearly to 1/(p/2) at the edges; never zero."""
    ramp = np.minimum(np.arange(1, patch + 1), np.arange(patch, 0, -1)).astype(np.float32)
    ramp /= ramp.max()
    return np.outer(ramp, ramp)


def stitch(
    image: np.ndarray,
    predict: Callable[[np.ndarray], np.ndarray],
    patch: int = PATCH,
    stride: int = 192,
    batch_size: int = 16,
) -> np.ndarray:
    """Predict a whole (C, H, W) scene from overlapping patches; returns the (H, W) weighted-mean output.

    ``predict`` maps a (B, C, p, p) batch to (B, p, p) per-pixel values (probabilities); with an
    identity-like ``predict`` the scene is reconstructed exactly, whatever the stride.
    """
    _, h, w = image.shape
    corners = [(y, x) for y in origins(h, patch, stride) for x in origins(w, patch, stride)]
    weight = patch_weights(patch)
    total = np.zeros((h, w), np.float64)
    norm = np.zeros((h, w), np.float64)
    for start in range(0, len(corners), batch_size):
        chunk = corners[start : start + batch_size]
        batch = np.stack([image[:, y : y + patch, x : x + patch] for y, x in chunk])
        out = np.asarray(predict(batch), dtype=np.float64).reshape(len(chunk), patch, patch)
        for (y, x), o in zip(chunk, out):
            total[y : y + patch, x : x + patch] += o * weight
            norm[y : y + patch, x : x + patch] += weight
    return (total / norm).astype(np.float32)


__all__ = ["PATCH", "CROP", "crop_offsets", "training_patches", "origins", "patch_weights", "stitch"]
