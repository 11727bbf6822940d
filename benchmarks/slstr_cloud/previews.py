"""PNG previews of a scene: false-colour image, reference mask, predicted mask, side by side.

matplotlib is imported inside the function (and forced onto the Agg backend) because importing it
is slow and a headless run must never try to open a window.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def false_colour(refs: np.ndarray) -> np.ndarray:
    """(H, W, 3) image in [0, 1]: S2 (0.66 um), S3 (0.87 um), S1 (0.55 um) as R, G, B, gamma-brightened."""
    rgb = refs[..., [1, 2, 0]].astype(np.float32)
    return np.clip(rgb / 0.6, 0.0, 1.0) ** 0.6


def write_preview(path: Path, refs: np.ndarray, truth: np.ndarray, pred: np.ndarray, title: str = "") -> Path:
    """Write the three-panel preview to ``path`` (temp file, then rename) and return it."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.4), constrained_layout=True)
    panels = [(false_colour(refs), "scene (S2/S3/S1)", None), (truth, "reference mask (bayes > 0)", "gray"),
              (pred, "predicted mask", "gray")]  # fmt: skip
    for ax, (img, label, cmap) in zip(axes, panels):
        ax.imshow(img, cmap=cmap, vmin=0, vmax=1, interpolation="nearest")
        ax.set_title(label)
        ax.set_axis_off()
    if title:
        fig.suptitle(title)
    tmp = path.with_name(f".{path.stem}.tmp.png")
    fig.savefig(tmp, dpi=60)
    plt.close(fig)
    tmp.replace(path)
    return path


__all__ = ["false_colour", "write_preview"]
