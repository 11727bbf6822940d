"""Counting a model's FLOPs so a run can report achieved FLOP/s and utilisation of the profile's peak.

Each benchmark declares its FLOPs per sample in its card (``flops:``, one number per mode; schema
``config.schema.FlopsConfig``) and the framework records the declaration for every run of that model
(``run.context.flops_declaration``).  The convention is what torch's ``FlopCounterMode`` counts:
matrix multiplications and convolutions, 2 FLOPs per multiply-add; ``train`` is one forward + backward
of a training sample (about 3x the forward: the backward computes input and weight gradients, except the
first layer's input gradient), ``inference`` one forward of the unit the mode's throughput metric counts.
The contract test (``tests/benchmarks/test_flops.py``) recounts each declaration here from the
benchmark's ``flops.probe(model, mode, options)``.  At run end the framework logs
``model_flops_per_sample``, ``achieved_flops_per_s`` (declared FLOPs x the mode's warm-up-excluded
throughput) and, when the hardware profile knows its peak for the run's precision,
``flops_utilization_percentage`` (of peak x device count).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FlopsProbe:
    """One input through a benchmark's model, for counting: ``inputs`` stand for ``samples`` samples
    (a fraction when one sample takes several forward calls, e.g. 1/48 of a scene for one of its patches)."""

    model: Any
    inputs: Any
    samples: float = 1.0


def per_sample(probe: FlopsProbe, backward: bool) -> float:
    """FLOPs per sample of ``probe``: forward (+ backward for training) counted, over its samples."""
    return count_flops(probe.model, probe.inputs, backward=backward) / probe.samples


def count_flops(model: Any, example_input: Any, backward: bool = True) -> int:
    """FLOPs of one forward (and backward) pass on ``example_input``, by torch's FlopCounterMode.

    Gradients the pass creates are discarded again, so calling this before training changes nothing.
    """
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    params = [p for p in model.parameters() if p.requires_grad]
    had_grad = [p.grad for p in params]
    counter = FlopCounterMode(display=False)
    with counter:
        if backward:
            out = model(example_input)
            out = out[0] if isinstance(out, (tuple, list)) else out
            out.float().sum().backward()
        else:
            with torch.no_grad():
                model(example_input)
    for p, g in zip(params, had_grad):
        p.grad = g
    return int(counter.get_total_flops())
