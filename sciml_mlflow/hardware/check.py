"""The one comparison of the configured hardware profile with this machine.

The runner, the DDP worker and the telemetry session all use :func:`check_hardware`'s result, so a run's
``hardware.mismatch`` tag, its ``hardware/profile_check.json`` and the device it picks always agree.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Optional

from sciml_mlflow.core.context import HardwareProfile
from sciml_mlflow.hardware.detect import MachineInfo, compare, detect_machine, load_profile_matches, match_profile

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HardwareCheck:
    """The configured profile (with what was detected), this machine, and why they differ (None: they match)."""

    profile: HardwareProfile
    machine: MachineInfo
    reason: Optional[str] = None

    @property
    def mismatch(self) -> bool:
        return self.reason is not None


def check_hardware(hw: Any) -> HardwareCheck:
    """Compare ``cfg.hardware`` (a HardwareConfig) with the machine this process runs on."""
    from sciml_mlflow.core.resources import config_dir

    machine = detect_machine()
    detected = match_profile(machine, load_profile_matches(config_dir() / "hardware"))
    reason = compare(hw.name, hw.accelerator, hw.match, hw.device_count, machine, detected)
    profile = HardwareProfile(
        name=hw.name, accelerator=hw.accelerator, device_count=hw.device_count, nodes=hw.nodes,
        precision=hw.precision, peak_flops=dict(hw.peak_flops), tdp_watts=hw.tdp_watts,
        dataloader_workers=hw.dataloader_workers, detected=detected, mismatch=reason is not None,
        channels_last=bool(hw.channels_last), compile=bool(hw.compile),
    )
    return HardwareCheck(profile, machine, reason)


def select_device(profile: HardwareProfile) -> str:
    """``cuda`` when the profile wants it and torch sees one; otherwise ``cpu`` (with a warning)."""
    if profile.accelerator == "cuda":
        import torch

        if torch.cuda.is_available():
            return "cuda"
        log.warning("profile %r wants CUDA but none is available: running on the CPU", profile.name)
    return "cpu"
