"""FLOPs probe of the SLSTR cloud benchmark (``telemetry.flops``): a training sample is one 256 x 256
patch; an inference sample is one whole scene, predicted from overlapping patches every
``options.inference_stride`` pixels, so one patch is 1/(patches per scene) of a sample."""

from __future__ import annotations

from typing import Any, Mapping

import torch

from sciml_mlflow.telemetry.flops import FlopsProbe

from . import tiling
from .dataset import HEIGHT, N_CHANNELS, WIDTH
from .model import ModelMeta, build_model, variant


def probe(model: str, mode: str, options: Mapping[str, Any]) -> FlopsProbe:
    base, depth, down = variant(model)
    net = build_model(ModelMeta(model, N_CHANNELS, base, depth, down, 0.8))
    patch = torch.zeros(1, N_CHANNELS, tiling.PATCH, tiling.PATCH)
    if mode == "train":
        return FlopsProbe(net, patch, 1)
    stride = int(options.get("inference_stride", 192))
    per_scene = len(tiling.origins(HEIGHT, tiling.PATCH, stride)) * len(tiling.origins(WIDTH, tiling.PATCH, stride))
    return FlopsProbe(net, patch, 1 / per_scene)
