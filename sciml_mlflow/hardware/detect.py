"""Detect the machine (CPU, memory, NVIDIA GPUs) and match it against the hardware profiles.

GPU facts come from NVML (nvidia-ml-py) and honour ``CUDA_VISIBLE_DEVICES``; without a GPU or driver
NVML's init fails fast and the machine is a ``cpu`` machine.  Nothing here imports torch, so detection
stays cheap enough for ``python -m sciml_mlflow`` start-up.
"""

from __future__ import annotations

import logging
import os
import platform
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Mapping, Optional

import yaml

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GPUInfo:
    index: int
    name: str
    memory_gb: float
    uuid: str


@dataclass(frozen=True)
class MachineInfo:
    host: str
    cpu_model: str
    cpu_cores_physical: int
    cpu_cores_logical: int
    memory_gb: float
    gpus: List[GPUInfo] = field(default_factory=list)
    driver_version: Optional[str] = None

    def as_dict(self) -> Dict[str, object]:
        return asdict(self)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _visible_indices(count: int) -> List[int]:
    env = os.environ.get("CUDA_VISIBLE_DEVICES")
    if env is None:
        return list(range(count))
    out = []
    for tok in env.split(","):
        tok = tok.strip()
        if tok.isdigit() and int(tok) < count:
            out.append(int(tok))
    return out


def detect_gpus() -> tuple[List[GPUInfo], Optional[str]]:
    """NVIDIA GPUs visible to this process, and the driver version; ([], None) without NVML."""
    try:
        import pynvml  # nvidia-ml-py

        pynvml.nvmlInit()
    except Exception as exc:  # no driver / no GPU: one debug line, never a crash
        log.debug("NVML unavailable (%s): no NVIDIA GPU detected", exc)
        return [], None
    try:
        driver = pynvml.nvmlSystemGetDriverVersion()
        driver = driver.decode() if isinstance(driver, bytes) else str(driver)
        gpus = []
        for i in _visible_indices(pynvml.nvmlDeviceGetCount()):
            h = pynvml.nvmlDeviceGetHandleByIndex(i)
            name = pynvml.nvmlDeviceGetName(h)
            uuid = pynvml.nvmlDeviceGetUUID(h)
            mem = pynvml.nvmlDeviceGetMemoryInfo(h).total / 2**30
            gpus.append(
                GPUInfo(
                    index=i,
                    name=name.decode() if isinstance(name, bytes) else str(name),
                    memory_gb=round(mem, 1),
                    uuid=uuid.decode() if isinstance(uuid, bytes) else str(uuid),
                )
            )
        return gpus, driver
    finally:
        try:
            pynvml.nvmlShutdown()
        except Exception:
            pass


@lru_cache(maxsize=1)
def detect_machine() -> MachineInfo:
    """Facts about this machine (cached: they do not change during a process)."""
    import psutil

    gpus, driver = detect_gpus()
    return MachineInfo(
        host=platform.node(),
        cpu_model=_cpu_model(),
        cpu_cores_physical=psutil.cpu_count(logical=False) or 0,
        cpu_cores_logical=psutil.cpu_count(logical=True) or 0,
        memory_gb=round(psutil.virtual_memory().total / 2**30, 1),
        gpus=gpus,
        driver_version=driver,
    )


def load_profile_matches(hardware_dir: Path) -> Dict[str, str]:
    """Profile name -> its ``match`` string, read straight from the YAML files (no Hydra needed)."""
    out: Dict[str, str] = {}
    for f in sorted(hardware_dir.glob("*.yaml")):
        try:
            data = yaml.safe_load(f.read_text()) or {}
        except yaml.YAMLError as exc:
            log.warning("hardware profile %s is not valid YAML (%s); ignored for detection", f, exc)
            continue
        if isinstance(data, dict) and data.get("match"):
            out[f.stem] = str(data["match"])
    return out


def match_profile(machine: MachineInfo, matches: Mapping[str, str]) -> str:
    """Name of the profile whose ``match`` is in the first visible GPU's name; ``cpu`` without a GPU."""
    if not machine.gpus:
        return "cpu"
    gpu_name = machine.gpus[0].name.lower()
    # Longest match first so e.g. 'H100 NVL' beats 'H100' if both exist.
    for name, needle in sorted(matches.items(), key=lambda kv: -len(kv[1])):
        if needle.lower() != "cpu" and needle.lower() in gpu_name:
            return name
    return "cpu"


def compare(profile_name: str, accelerator: str, match: Optional[str], device_count: int, machine: MachineInfo,
            detected_profile: str) -> Optional[str]:
    """Explain how the machine differs from the configured profile, or None when it matches."""
    problems = []
    if profile_name != detected_profile:
        what = ", ".join(f"{g.name}" for g in machine.gpus) or f"CPU only ({machine.cpu_model})"
        problems.append(f"profile {profile_name!r} configured but this machine is {detected_profile!r} ({what})")
    if accelerator == "cuda" and len(machine.gpus) < device_count:
        problems.append(f"profile wants {device_count} GPU(s), {len(machine.gpus)} visible")
    return "; ".join(problems) or None
