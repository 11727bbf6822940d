"""FLOPs probe of the EM denoising benchmark (``telemetry.flops``): a training sample is one crop
(``options.crop_size``, 0 = the whole image), an inference sample one whole 256 x 256 image."""

from __future__ import annotations

from typing import Any, Mapping

import torch

from sciml_mlflow.telemetry.flops import FlopsProbe

from .model import build_model
from .physics import SIZE


def probe(model: str, mode: str, options: Mapping[str, Any]) -> FlopsProbe:
    side = int(options.get("crop_size", 64)) or SIZE if mode == "train" else SIZE
    return FlopsProbe(build_model(model), torch.zeros(1, 1, side, side), 1)
