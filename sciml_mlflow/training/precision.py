"""Numeric precision from the hardware profile, and device synchronisation for honest timings."""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any, ContextManager


def autocast(ctx: Any) -> ContextManager[Any]:
    """Mixed precision only where the profile asks for it and the device is a GPU (CPU runs stay fp32)."""
    import torch

    precision = getattr(ctx.hardware, "precision", "fp32")
    if ctx.device.startswith("cuda"):
        if precision == "tf32":
            torch.backends.cuda.matmul.allow_tf32 = True
            torch.backends.cudnn.allow_tf32 = True
        if precision in ("bf16", "fp16"):
            return torch.autocast("cuda", dtype=torch.bfloat16 if precision == "bf16" else torch.float16)
    return nullcontext()


def synchronize(device: str) -> None:
    """Wait for queued GPU work, so a timer read after it measures the work and not the launch."""
    if device.startswith("cuda"):
        import torch

        torch.cuda.synchronize()


def grad_scaler(ctx: Any) -> Any:
    """Loss scaling, on only for fp16 on a GPU (bf16 and fp32 need none); a no-op scaler elsewhere."""
    import torch

    return torch.amp.GradScaler("cuda", enabled=ctx.device.startswith("cuda") and ctx.hardware.precision == "fp16")
