"""The SciMLBench DMS CNN (``reference``) and a CPU-sized variant (``small``).

Both take patterns exactly as stored, (B, 487, 195, 3) channels-last, and carry their normalisation
as buffers, so a saved state dict cannot be used with the wrong statistics.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

import torch
from torch import nn

from .physics import SHAPE

WEIGHTS_FILE = "model.pt"
META_FILE = "model.json"

# variant -> (input average-pool factor, FC widths).  reference = the original: no pooling, FC 512/256.
VARIANTS = {"reference": (1, (512, 256)), "small": (4, (128, 64))}


@dataclass
class ModelMeta:
    """What inference needs to rebuild the model: written next to the weights."""

    variant: str
    input_shape: Tuple[int, int, int] = SHAPE
    n_classes: int = 2
    multi_label: bool = False
    label_names: List[str] = field(default_factory=list)
    mean: List[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])  # per channel, of the training split
    std: List[float] = field(default_factory=lambda: [1.0, 1.0, 1.0])

    def save(self, model_dir: Path) -> Path:
        path = Path(model_dir) / META_FILE
        path.write_text(json.dumps(asdict(self), indent=2))
        return path

    @classmethod
    def load(cls, model_dir: Path) -> "ModelMeta":
        data = json.loads((Path(model_dir) / META_FILE).read_text())
        data["input_shape"] = tuple(data["input_shape"])
        return cls(**data)


class DMSNet(nn.Module):
    """2 x (conv k4, ReLU, maxpool 2, BN) at 8 and 16 channels, then two FC layers with dropout 0.5."""

    def __init__(self, meta: ModelMeta) -> None:
        super().__init__()
        if meta.variant not in VARIANTS:
            raise ValueError(f"unknown dms_structure model {meta.variant!r}; expected one of {', '.join(VARIANTS)}")
        pool, (fc1, fc2) = VARIANTS[meta.variant]
        h, w, c = meta.input_shape
        self.register_buffer("mean", torch.tensor(meta.mean, dtype=torch.float32).view(1, c, 1, 1))
        self.register_buffer("std", torch.tensor(meta.std, dtype=torch.float32).view(1, c, 1, 1))
        self.pool_in = nn.AvgPool2d(pool) if pool > 1 else nn.Identity()
        self.features = nn.Sequential(
            nn.Conv2d(c, 8, kernel_size=4), nn.ReLU(), nn.MaxPool2d(2), nn.BatchNorm2d(8),
            nn.Conv2d(8, 16, kernel_size=4), nn.ReLU(), nn.MaxPool2d(2), nn.BatchNorm2d(16),
        )  # fmt: skip
        with torch.no_grad():
            n_flat = self.features(self.pool_in(torch.zeros(1, c, h, w))).numel()
        self.head = nn.Sequential(
            nn.Flatten(),
            nn.Linear(n_flat, fc1), nn.ReLU(),
            nn.Linear(fc1, fc2), nn.ReLU(), nn.Dropout(0.5),
            nn.Linear(fc2, meta.n_classes),
        )  # fmt: skip

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.permute(0, 3, 1, 2)  # stored NHWC -> NCHW
        x = (self.pool_in(x) - self.mean) / self.std
        return self.head(self.features(x))


def build_model(meta: ModelMeta) -> DMSNet:
    """A fresh model for ``meta`` (weights from torch's default init, seeded by the caller)."""
    return DMSNet(meta)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def save(model: nn.Module, meta: ModelMeta, model_dir: Path) -> List[Path]:
    """Weights and metadata into ``model_dir``; returns the files written."""
    model_dir = Path(model_dir)
    model_dir.mkdir(parents=True, exist_ok=True)
    weights = model_dir / WEIGHTS_FILE
    tmp = weights.with_suffix(".pt.tmp")
    torch.save(model.state_dict(), tmp)
    tmp.replace(weights)
    return [weights, meta.save(model_dir)]


def load(model_dir: Path, device: str = "cpu", module: Optional[nn.Module] = None) -> Tuple[nn.Module, ModelMeta]:
    """Rebuild the trained model from ``model_dir`` (as written by :func:`save`); ``module``: the run's
    MLflow model (``ctx.load_model()``), used instead of the raw weights when given."""
    model_dir = Path(model_dir)
    missing: Sequence[str] = [n for n in (WEIGHTS_FILE, META_FILE) if not (model_dir / n).is_file()]
    if missing:
        raise FileNotFoundError(
            f"dms_structure: {model_dir} lacks {', '.join(missing)}; run training first (mode=train)"
        )
    meta = ModelMeta.load(model_dir)
    if module is not None:
        return module.to(device).eval(), meta
    model = build_model(meta)
    model.load_state_dict(torch.load(model_dir / WEIGHTS_FILE, map_location=device, weights_only=True))
    return model.to(device).eval(), meta
