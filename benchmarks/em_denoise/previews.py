"""PNG previews for a human: noisy input, denoised output and clean truth side by side.

All three panels share one grey scale (0 .. data_range), so brightness differences are real; the titles
carry each image's PSNR and SSIM against the clean truth.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import List

import numpy as np

from . import quality

log = logging.getLogger(__name__)


def write(folder: Path, noisy: np.ndarray, denoised: np.ndarray, clean: np.ndarray, data_range: float, count: int) -> List[Path]:
    """Write ``count`` previews (the first test images) as ``preview_<i>.png``; returns their paths."""
    # The object-oriented API with an Agg canvas: no pyplot, no global backend switch, safe in any process.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for i in range(min(count, len(clean))):
        fig = Figure(figsize=(12, 4.3), dpi=80)
        FigureCanvasAgg(fig)
        axes = fig.subplots(1, 3)
        for ax, img, name in zip(axes, (noisy[i], denoised[i], clean[i]), ("noisy", "denoised", "clean")):
            ax.imshow(img, cmap="gray", vmin=0.0, vmax=data_range, interpolation="nearest")
            ax.set_axis_off()
            if name == "clean":
                ax.set_title("clean (ground truth)")
            else:
                p = quality.psnr_per_image(img[None], clean[i][None], data_range)[0]
                s = quality.ssim_per_image(img[None], clean[i][None], data_range)[0]
                ax.set_title(f"{name}: PSNR {p:.2f} dB, SSIM {s:.3f}")
        fig.tight_layout()
        path = folder / f"preview_{i}.png"
        tmp = path.with_name(f".{path.name}.tmp")
        fig.savefig(tmp, format="png")
        tmp.replace(path)
        written.append(path)
    log.info("em_denoise: wrote %d previews to %s", len(written), folder)
    return written


__all__ = ["write"]
