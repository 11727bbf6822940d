"""Numeric precision from the hardware profile, and device synchronisation for honest timings.

The decisions (which dtype, whether to scale the loss) are plain functions of the context, so they are
tested on a CPU-only machine; the torch objects are built from them.
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any, ContextManager, Optional


def on_gpu(ctx: Any) -> bool:
    return str(ctx.device).startswith("cuda")


def autocast_dtype(ctx: Any) -> Optional[Any]:
    """``torch.bfloat16``/``torch.float16`` where the profile asks for bf16/fp16 on a GPU; None otherwise
    (CPU runs stay fp32: CPU autocast is slower than fp32 for these models)."""
    import torch

    if on_gpu(ctx) and ctx.hardware.precision in ("bf16", "fp16"):
        return torch.bfloat16 if ctx.hardware.precision == "bf16" else torch.float16
    return None


def autocast(ctx: Any) -> ContextManager[Any]:
    """Mixed precision only where the profile asks for it and the device is a GPU; tf32 switches TF32 on."""
    import torch

    if on_gpu(ctx) and ctx.hardware.precision == "tf32":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    dtype = autocast_dtype(ctx)
    return torch.autocast("cuda", dtype=dtype) if dtype is not None else nullcontext()


def needs_grad_scaling(ctx: Any) -> bool:
    """Loss scaling is needed for fp16 on a GPU only (bf16 has fp32's range; fp32 needs none)."""
    return on_gpu(ctx) and ctx.hardware.precision == "fp16"


def synchronize(device: str) -> None:
    """Wait for queued GPU work, so a timer read after it measures the work and not the launch."""
    if str(device).startswith("cuda"):
        import torch

        torch.cuda.synchronize()


def grad_scaler(ctx: Any) -> Any:
    """A GradScaler, enabled only when :func:`needs_grad_scaling` (a no-op scaler elsewhere)."""
    import torch

    return torch.amp.GradScaler("cuda", enabled=needs_grad_scaling(ctx))
