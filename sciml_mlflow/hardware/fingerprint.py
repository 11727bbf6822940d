"""The identity of the machine a run executed on, as tags and a ``hardware/fingerprint.json`` artifact.

Tags make runs filterable in the MLflow UI (``tags.hw.gpu_model = 'NVIDIA A100-SXM4-80GB'``); the JSON keeps
everything, including per-GPU details and package versions, for figures of merit chosen later.
"""

from __future__ import annotations

import json
import logging
import platform
from dataclasses import asdict
from importlib import metadata
from typing import Any, Dict, Optional

from sciml_mlflow.hardware.detect import MachineInfo

log = logging.getLogger(__name__)

PACKAGES = ("sciml-mlflow", "torch", "mlflow", "hydra-core", "dvc", "numpy", "nvidia-ml-py", "psutil", "h5py")


def _version(dist: str) -> Optional[str]:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _cuda() -> Dict[str, Optional[str]]:
    """CUDA as torch was built with it, cuDNN, and what the driver supports (NVML), where present."""
    out: Dict[str, Optional[str]] = {"cuda_torch": None, "cudnn": None, "cuda_driver": None}
    try:
        import torch

        out["cuda_torch"] = torch.version.cuda
        if torch.backends.cudnn.is_available():
            out["cudnn"] = str(torch.backends.cudnn.version())
    except ImportError:
        pass
    try:
        import pynvml

        pynvml.nvmlInit()
        try:
            v = int(pynvml.nvmlSystemGetCudaDriverVersion())
            out["cuda_driver"] = f"{v // 1000}.{(v % 1000) // 10}"
        finally:
            pynvml.nvmlShutdown()
    except Exception:  # no driver: nothing to report
        pass
    return out


def fingerprint(machine: MachineInfo) -> Dict[str, Any]:
    """Everything known about this machine and software stack (JSON-serialisable)."""
    return {
        "host": machine.host,
        "os": platform.platform(),
        "cpu": {"model": machine.cpu_model, "cores_physical": machine.cpu_cores_physical,
                "cores_logical": machine.cpu_cores_logical, "arch": platform.machine()},
        "memory_gb": machine.memory_gb,
        "gpus": [asdict(g) for g in machine.gpus],
        "driver": machine.driver_version,
        "cuda": _cuda(),
        "python": platform.python_version(),
        "packages": {p: _version(p) for p in PACKAGES},
    }


def fingerprint_tags(fp: Dict[str, Any]) -> Dict[str, str]:
    """The searchable subset as ``hw.*`` / ``version.*`` tags (absent facts say 'none', never blank)."""
    gpus = fp["gpus"]
    names = sorted({g["name"] for g in gpus})
    tags = {
        "hw.cpu_model": fp["cpu"]["model"],
        "hw.cpu_cores": str(fp["cpu"]["cores_physical"]),
        "hw.cpu_threads": str(fp["cpu"]["cores_logical"]),
        "hw.memory_gb": str(fp["memory_gb"]),
        "hw.gpu_count": str(len(gpus)),
        "hw.gpu_model": ", ".join(names) if names else "none",
        "hw.gpu_memory_gb": str(gpus[0]["memory_gb"]) if gpus else "none",
        "hw.driver": fp["driver"] or "none",
        "hw.os": fp["os"],
        "version.cuda": fp["cuda"]["cuda_torch"] or "none",
        "version.cuda_driver": fp["cuda"]["cuda_driver"] or "none",
        "version.cudnn": fp["cuda"]["cudnn"] or "none",
    }
    for pkg in ("torch", "mlflow", "numpy"):
        tags[f"version.{pkg}"] = fp["packages"].get(pkg) or "not installed"
    return tags


def mismatch_explanation(profile: Any, machine: MachineInfo, reason: Optional[str]) -> Dict[str, Any]:
    """Profile vs machine side by side, and what a mismatch means for the numbers (hardware/profile_check.json)."""
    gpus = machine.gpus
    return {
        "profile": {"name": profile.name, "accelerator": profile.accelerator, "device_count": profile.device_count,
                    "precision": profile.precision, "peak_flops": dict(profile.peak_flops),
                    "tdp_watts": profile.tdp_watts},
        "machine": {"detected_profile": profile.detected, "cpu": machine.cpu_model,
                    "gpus": [g.name for g in gpus], "gpu_count": len(gpus)},
        "mismatch": reason is not None,
        "reason": reason,
        "consequence": (
            "Times, throughput, energy and FLOP utilisation were measured on the machine above, not on the "
            "configured profile; utilisation figures use the profile's datasheet peaks and are not meaningful. "
            "Compare this run only with runs of the same hw.* tags." if reason else "none"
        ),
    }


def as_json(data: Dict[str, Any]) -> str:
    return json.dumps(data, indent=2, sort_keys=True, default=str)
