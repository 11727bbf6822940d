"""Counting a model's FLOPs so a run can report achieved FLOP/s and utilisation of the profile's peak.

Optional: a benchmark that wants it counts one batch and declares the result::

    from sciml_mlflow.telemetry.flops import count_flops

    flops = count_flops(net, x[:8])                # forward + backward of an 8-sample batch
    ctx.telemetry.record_flops(per_sample=flops / 8)

The framework then logs ``model_flops_per_sample``, ``achieved_flops_per_s`` and, when the hardware
profile knows its peak for the run's precision, ``flops_utilization_percentage`` at run end.
"""

from __future__ import annotations

from typing import Any


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
