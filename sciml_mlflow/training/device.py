"""Moving batches to the device and timing device work honestly (synchronising only at the edges)."""

from __future__ import annotations

import time
from typing import Any, Optional

from sciml_mlflow.training.precision import synchronize


def to_device(batch: Any, device: str, channels_last: bool = False) -> Any:
    """Tensors (and numpy arrays) of a batch, nested in tuples/lists/dicts, moved to ``device``.

    ``channels_last`` converts 4-D image batches to NHWC memory layout on a GPU (where convolutions run
    faster in it); on the CPU it is ignored.
    """
    import numpy as np
    import torch

    if isinstance(batch, np.ndarray):
        batch = torch.from_numpy(batch)
    if isinstance(batch, torch.Tensor):
        out = batch.to(device, non_blocking=True)
        if channels_last and out.dim() == 4 and str(device).startswith("cuda"):
            out = out.contiguous(memory_format=torch.channels_last)
        return out
    if isinstance(batch, (tuple, list)):
        return type(batch)(to_device(b, device, channels_last) for b in batch)
    if isinstance(batch, dict):
        return {k: to_device(v, device, channels_last) for k, v in batch.items()}
    return batch


class DeviceTimer:
    """Seconds of device work between ``start()`` and ``stop()``; the device is synchronised at both edges
    only, so the queue is never stalled inside the timed window (a per-batch sync perturbs what it measures)."""

    def __init__(self, device: str) -> None:
        self.device = device
        self.seconds = 0.0
        self._t0: Optional[float] = None

    @property
    def running(self) -> bool:
        return self._t0 is not None

    def start(self) -> None:
        synchronize(self.device)
        self._t0 = time.perf_counter()

    def stop(self) -> float:
        """End the window; returns its length (also added to ``seconds``)."""
        if self._t0 is None:
            return 0.0
        synchronize(self.device)
        dt = time.perf_counter() - self._t0
        self.seconds += dt
        self._t0 = None
        return dt

    def __enter__(self) -> "DeviceTimer":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
