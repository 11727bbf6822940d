"""FLOPs probe of the DMS benchmark: one pattern through the card's model (``telemetry.flops``).

The card's ``flops:`` numbers are checked against this by ``tests/benchmarks/test_flops.py``; a changed
model changes the count, and the card's numbers are updated to what the test reports.
"""

from __future__ import annotations

from typing import Any, Mapping

import torch

from sciml_mlflow.telemetry.flops import FlopsProbe

from .dataset import SHAPE
from .model import ModelMeta, build_model


def probe(model: str, mode: str, options: Mapping[str, Any]) -> FlopsProbe:
    """A sample is one (487, 195, 3) pattern in both modes."""
    multi_label = bool(options.get("multi_label", False))
    n_labels = 3 if multi_label else 2
    net = build_model(ModelMeta(model, SHAPE, n_labels, multi_label, [str(i) for i in range(n_labels)]))
    return FlopsProbe(net, torch.zeros((1,) + SHAPE), 1)
