"""What benchmark code may do with telemetry (``ctx.telemetry``): the coarse half of logging control.

``pause()``/``resume()`` stop and restart system sampling; ``monitor(region)`` samples inside a region
(even when the profile sets ``telemetry.autostart: false``) and records it as a phase; ``record_flops``
declares the model's FLOPs so the run can report achieved FLOP/s.
"""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING, Iterator, Optional

if TYPE_CHECKING:
    from sciml_mlflow.telemetry.phases import PhaseTimer
    from sciml_mlflow.telemetry.sampler import Sampler

log = logging.getLogger(__name__)


class SamplingControl:
    def __init__(self, sampler: Optional["Sampler"], phases: "PhaseTimer") -> None:
        self._sampler = sampler
        self._phases = phases
        self.flops_per_sample: Optional[float] = None
        self.flops_samples: Optional[float] = None
        self.flops_seconds: Optional[float] = None
        self.flops_rate_metric: Optional[str] = None

    @property
    def sampling(self) -> bool:
        """True while system metrics are being sampled."""
        return self._sampler is not None and self._sampler.active

    def pause(self) -> None:
        """Stop sampling system metrics (one closing sample is taken); a no-op with telemetry off."""
        if self._sampler is not None:
            self._sampler.pause()

    def resume(self) -> None:
        """Restart sampling system metrics."""
        if self._sampler is not None:
            self._sampler.resume()

    @contextlib.contextmanager
    def monitor(self, region: str) -> Iterator[None]:
        """Sample system metrics inside the block and record it as phase ``region``."""
        was_sampling = self.sampling
        self.resume()
        try:
            with self._phases.phase(region):
                yield
        finally:
            if not was_sampling:
                self.pause()

    def record_flops(self, per_sample: float, samples: Optional[float] = None, seconds: Optional[float] = None,
                     rate_metric: Optional[str] = None) -> None:
        """Declare the model's FLOPs per sample (training: forward + backward; see telemetry.flops).

        Without ``samples``/``seconds`` the run uses the logged ``rate_metric`` (default the loop's
        ``train_throughput_samples_per_s``, warm-up excluded), else ``samples_seen`` over the ``training``
        phase time.  The framework calls this with the card's ``flops`` declaration.
        """
        if per_sample <= 0:
            raise ValueError(f"record_flops: per_sample must be > 0 FLOPs, got {per_sample}")
        self.flops_per_sample = float(per_sample)
        self.flops_samples, self.flops_seconds = samples, seconds
        self.flops_rate_metric = rate_metric
