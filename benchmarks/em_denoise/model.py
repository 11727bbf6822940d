"""The denoising U-Net of SciMLBench's em_denoise, and how it is saved and loaded.

``reference`` is the original network (stfc-sciml/sciml-bench ``EMDenoiseNet``): three encoder blocks of
two 3x3 conv -> ReLU -> BatchNorm at 8, 16, 32 channels with 2x2 max-pooling, a 64-channel bottleneck,
bilinear upsampling with skip concatenation back up, and a 3x3 conv to one channel (~0.12 M parameters).
``small`` keeps that layout at half the width (~0.03 M) so a CPU epoch takes seconds.

The network is fully convolutional, so it trains on crops and denoises whole 256x256 images.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import torch
from torch import nn

log = logging.getLogger(__name__)

WIDTHS: Dict[str, Tuple[int, ...]] = {
    "reference": (8, 16, 32, 64),  # as in the original
    "small": (4, 8, 16, 32),
}
WEIGHTS_FILE = "em_denoise.pt"
META_FILE = "em_denoise.json"


@dataclass(frozen=True)
class ModelMeta:
    """What inference needs besides the weights: the variant and the intensity scale of training."""

    variant: str
    data_range: float  # intensities are divided by this before the network and multiplied back after


def _block(c_in: int, c_out: int) -> List[nn.Module]:
    return [nn.Conv2d(c_in, c_out, 3, padding=1), nn.ReLU(inplace=True), nn.BatchNorm2d(c_out),
            nn.Conv2d(c_out, c_out, 3, padding=1), nn.ReLU(inplace=True), nn.BatchNorm2d(c_out)]


class UNet(nn.Module):
    """The original's encoder-decoder; ``widths`` are the channel counts per level, deepest last."""

    def __init__(self, widths: Tuple[int, ...]) -> None:
        super().__init__()
        self.down = nn.ModuleList()
        c_in = 1
        for w in widths[:-1]:
            self.down.append(nn.Sequential(*_block(c_in, w)))
            c_in = w
        self.pool = nn.MaxPool2d(2)
        self.bottom = nn.Sequential(*_block(widths[-2], widths[-1]))
        self.up = nn.ModuleList()
        c_in = widths[-1]
        for w in reversed(widths[:-1]):
            self.up.append(nn.Sequential(*_block(c_in + w, w)))
            c_in = w
        self.upsample = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True)
        self.head = nn.Conv2d(widths[0], 1, 3, padding=1)
        self.levels = len(widths) - 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for block in self.down:
            x = block(x)
            skips.append(x)
            x = self.pool(x)
        x = self.bottom(x)
        for block, skip in zip(self.up, reversed(skips)):
            x = block(torch.cat([self.upsample(x), skip], dim=1))
        return self.head(x)


def build_model(variant: str) -> UNet:
    if variant not in WIDTHS:
        raise ValueError(f"em_denoise: unknown model {variant!r}; expected one of {', '.join(WIDTHS)} "
                         "(benchmark.model in conf/benchmark/em_denoise.yaml)")
    return UNet(WIDTHS[variant])


def count_parameters(net: nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())


def save(net: nn.Module, meta: ModelMeta, model_dir: Path) -> None:
    """Weights and metadata, each written to a temp file and renamed (a half-written model never loads)."""
    model_dir.mkdir(parents=True, exist_ok=True)
    tmp = model_dir / f".{WEIGHTS_FILE}.tmp"
    torch.save({k: v.detach().cpu() for k, v in net.state_dict().items()}, tmp)
    tmp.replace(model_dir / WEIGHTS_FILE)
    tmp = model_dir / f".{META_FILE}.tmp"
    tmp.write_text(json.dumps(asdict(meta), indent=2))
    tmp.replace(model_dir / META_FILE)


def load(model_dir: Path, device: str, module: Optional[nn.Module] = None) -> Tuple[nn.Module, ModelMeta]:
    """The trained network (eval mode, on ``device``) and its metadata, from a folder ``save`` wrote;
    ``module``: the run's MLflow model (``ctx.load_model()``), used instead of the raw weights when given."""
    weights, meta_file = model_dir / WEIGHTS_FILE, model_dir / META_FILE
    if not weights.is_file() or not meta_file.is_file():
        raise FileNotFoundError(
            f"em_denoise: no trained model in {model_dir} (expected {WEIGHTS_FILE} and {META_FILE}); "
            "run mode=train first, or pass model_uri=<training run id>"
        )
    meta = ModelMeta(**json.loads(meta_file.read_text()))
    if module is not None:
        return module.to(device).eval(), meta
    net = build_model(meta.variant)
    net.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    return net.to(device).eval(), meta


__all__ = ["WIDTHS", "ModelMeta", "UNet", "build_model", "count_parameters", "save", "load"]
