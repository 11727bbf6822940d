"""The SciMLBench cloud-masking U-Net, and the small variant for CPUs.

``reference`` is the original network: three 2x(conv3x3, ReLU) encoder blocks at 32, 64, 128
channels with max-pooling, a 256-channel bottleneck, nearest-neighbour upsampling with skip
concatenation back up, and a 1x1 convolution to one channel (1.95 M parameters).  The original applied
a sigmoid in that head; here the network returns logits (trained with the numerically stable
``BCEWithLogitsLoss``) and ``probabilities`` applies the sigmoid, which is the same function.

``small`` keeps the layout at half the width (16 -> 128 channels, 0.49 M parameters) and works at
half resolution: the input is average-pooled 2x first and the logits are upsampled bilinearly back,
so a 2-core CPU trains it in minutes (about 8x less compute than ``reference``).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import torch
from torch import nn

WEIGHTS_FILE = "unet.pt"
META_FILE = "model.json"


@dataclass(frozen=True)
class ModelMeta:
    """Everything needed to rebuild the network and to predict like the training run did."""

    variant: str  # reference | small
    in_channels: int
    base_channels: int
    depth: int
    downsample: int  # input average-pooled by this factor, logits upsampled back (1 = full resolution)
    train_fraction: float  # the file split the model was trained under (inference scores the same test files)
    baseline: Dict[str, Any] = field(default_factory=dict)  # the per-pixel baseline's record (baseline.py)
    train_files: List[str] = field(default_factory=list)


VARIANTS: Dict[str, Tuple[int, int, int]] = {"reference": (32, 3, 1), "small": (16, 3, 2)}  # base, depth, downsample


def _block(cin: int, cout: int) -> nn.Sequential:
    conv1, conv2 = nn.Conv2d(cin, cout, 3, padding=1), nn.Conv2d(cout, cout, 3, padding=1)
    for conv in (conv1, conv2):  # he_normal, as the original's Keras kernel_initializer
        nn.init.kaiming_normal_(conv.weight, nonlinearity="relu")
        nn.init.zeros_(conv.bias)
    return nn.Sequential(conv1, nn.ReLU(inplace=True), conv2, nn.ReLU(inplace=True))


class UNet(nn.Module):
    """U-Net returning per-pixel cloud logits (B, H, W); H and W must divide by downsample * 2**depth."""

    def __init__(self, in_channels: int = 9, base: int = 32, depth: int = 3, downsample: int = 1) -> None:
        super().__init__()
        self.downsample = downsample
        widths = [base * 2**i for i in range(depth + 1)]
        self.down = nn.ModuleList()
        cin = in_channels
        for wd in widths[:-1]:
            self.down.append(_block(cin, wd))
            cin = wd
        self.bottleneck = _block(widths[-2], widths[-1])
        self.up = nn.ModuleList(_block(widths[i + 1] + widths[i], widths[i]) for i in reversed(range(depth)))
        self.pool = nn.MaxPool2d(2)
        self.upsample = nn.Upsample(scale_factor=2, mode="nearest")
        self.head = nn.Conv2d(widths[0], 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        size = x.shape[-2:]
        if self.downsample > 1:
            x = nn.functional.avg_pool2d(x, self.downsample)
        skips = []
        for block in self.down:
            x = block(x)
            skips.append(x)
            x = self.pool(x)
        x = self.bottleneck(x)
        for block, skip in zip(self.up, reversed(skips)):
            x = block(torch.cat([self.upsample(x), skip], dim=1))
        logits = self.head(x)
        if self.downsample > 1:
            logits = nn.functional.interpolate(logits, size=size, mode="bilinear", align_corners=False)
        return logits[:, 0]

    @torch.inference_mode()
    def probabilities(self, x: torch.Tensor) -> torch.Tensor:
        """Cloud probability per pixel: the original's sigmoid head."""
        return torch.sigmoid(self(x).float())


def build_model(meta: ModelMeta) -> UNet:
    return UNet(meta.in_channels, meta.base_channels, meta.depth, meta.downsample)


def variant(name: str) -> Tuple[int, int, int]:
    """(base channels, depth, downsample) of a named variant; a clear error for an unknown one."""
    if name not in VARIANTS:
        raise ValueError(f"slstr_cloud: unknown model {name!r}; expected one of {', '.join(VARIANTS)} "
                         "(benchmark.model in conf/benchmark/slstr_cloud.yaml)")  # fmt: skip
    return VARIANTS[name]


def count_parameters(net: nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())


def save(net: UNet, meta: ModelMeta, model_dir: Path) -> None:
    """Weights and metadata, each written to a temp file then renamed."""
    model_dir.mkdir(parents=True, exist_ok=True)
    tmp = model_dir / f".{WEIGHTS_FILE}.tmp"
    torch.save({k: v.detach().cpu() for k, v in net.state_dict().items()}, tmp)
    tmp.replace(model_dir / WEIGHTS_FILE)
    tmp = model_dir / f".{META_FILE}.tmp"
    tmp.write_text(json.dumps(asdict(meta), indent=2))
    tmp.replace(model_dir / META_FILE)


def load(model_dir: Path, device: str, module: Optional[nn.Module] = None) -> Tuple[nn.Module, ModelMeta]:
    """The trained network (eval mode, on ``device``) and its metadata; ``module``: the run's MLflow model
    (``ctx.load_model()``), used instead of the raw weights when given."""
    weights, meta_file = model_dir / WEIGHTS_FILE, model_dir / META_FILE
    if not weights.is_file() or not meta_file.is_file():
        from sciml_mlflow.errors import DataError

        raise DataError(f"slstr_cloud: no trained model in {model_dir} (expected {WEIGHTS_FILE} and {META_FILE}); "
                        "run mode=train first or pass model_uri=<training run id>")  # fmt: skip
    meta = ModelMeta(**json.loads(meta_file.read_text()))
    if module is not None:
        return module.to(device).eval(), meta
    net = build_model(meta)
    net.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    return net.to(device).eval(), meta


__all__ = ["ModelMeta", "UNet", "VARIANTS", "build_model", "count_parameters", "load", "save", "variant"]
