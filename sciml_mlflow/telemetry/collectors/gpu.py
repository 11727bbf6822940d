"""NVIDIA GPUs visible to this process (nvidia-ml-py): utilisation, memory, power and energy.

Honours ``CUDA_VISIBLE_DEVICES`` (indices or ``GPU-``/``MIG-`` UUIDs, cut at the first invalid entry as
CUDA does), so ``gpu_0`` is the device torch calls ``cuda:0``.  Energy comes from NVML's total-energy
counter (mJ since driver load, Volta and newer) where the device supports it, else from power integrated
over time; the ``telemetry.gpu_energy_method`` tag says which.
"""

from __future__ import annotations

import os
import time
from typing import Any, Dict, List, Optional

from sciml_mlflow.telemetry.collector import CollectorUnavailable
from sciml_mlflow.telemetry.energy import PowerIntegrator

_MB = 1024.0**2


def _visible_handles(nvml: Any) -> List[Any]:
    count = nvml.nvmlDeviceGetCount()
    env = os.environ.get("CUDA_VISIBLE_DEVICES")
    if env is None:
        return [nvml.nvmlDeviceGetHandleByIndex(i) for i in range(count)]
    handles = []
    for tok in (t.strip() for t in env.split(",")):
        if tok.isdigit() and int(tok) < count:
            handles.append(nvml.nvmlDeviceGetHandleByIndex(int(tok)))
        elif tok.startswith(("GPU-", "MIG-")):
            try:
                handles.append(nvml.nvmlDeviceGetHandleByUUID(tok))
            except nvml.NVMLError:
                break
        else:
            break  # CUDA ignores everything after the first invalid entry
    return handles


class _Device:
    def __init__(self, index: int, handle: Any, nvml: Any) -> None:
        self.index, self.handle = index, handle
        self.energy0_mj: Optional[int] = None
        self.integrator = PowerIntegrator()
        try:
            self.energy0_mj = int(nvml.nvmlDeviceGetTotalEnergyConsumption(handle))
        except nvml.NVMLError:
            self.energy0_mj = None
        try:
            self.limit_w: Optional[float] = nvml.nvmlDeviceGetEnforcedPowerLimit(handle) / 1000.0
        except nvml.NVMLError:
            self.limit_w = None


class GPUCollector:
    name = "gpu"
    node_wide = False
    measures_energy = True

    def __init__(self, local_index: Optional[int] = None) -> None:
        self._local_index = local_index  # multi-process runs: only the device of this local rank
        self._devices: List[_Device] = []

    def start(self) -> None:
        try:
            import pynvml
        except ImportError as exc:
            raise CollectorUnavailable("nvidia-ml-py is not installed") from exc
        self._nvml = pynvml
        try:
            pynvml.nvmlInit()
        except pynvml.NVMLError as exc:
            raise CollectorUnavailable(f"NVML could not start ({exc}): no NVIDIA driver/GPU") from exc
        handles = _visible_handles(pynvml)
        indices = list(range(len(handles)))
        if self._local_index is not None and len(handles) > 1 and self._local_index < len(handles):
            indices = [self._local_index]
        if not indices:
            pynvml.nvmlShutdown()
            raise CollectorUnavailable("no GPU visible to this process (CUDA_VISIBLE_DEVICES)")
        self._devices = [_Device(i, handles[i], pynvml) for i in indices]

    def sample(self) -> Dict[str, float]:
        nvml, out = self._nvml, {}
        now = time.monotonic()
        for d in self._devices:
            p = f"gpu_{d.index}_"
            try:
                util = nvml.nvmlDeviceGetUtilizationRates(d.handle)
                out[p + "utilization_percentage"] = float(util.gpu)
            except nvml.NVMLError:
                pass
            try:
                mem = nvml.nvmlDeviceGetMemoryInfo(d.handle)
                out[p + "memory_usage_megabytes"] = mem.used / _MB
                out[p + "memory_usage_percentage"] = 100.0 * mem.used / mem.total if mem.total else 0.0
            except nvml.NVMLError:
                pass
            try:
                watts = nvml.nvmlDeviceGetPowerUsage(d.handle) / 1000.0
            except nvml.NVMLError:
                watts = None
            if watts is not None:
                out[p + "power_usage_watts"] = watts
                if d.limit_w:
                    out[p + "power_usage_percentage"] = 100.0 * watts / d.limit_w
                d.integrator.add(now, watts)
            if d.energy0_mj is not None:
                try:
                    out[p + "energy_joules"] = (int(nvml.nvmlDeviceGetTotalEnergyConsumption(d.handle)) - d.energy0_mj) / 1000.0
                except nvml.NVMLError:
                    pass
            elif watts is not None:
                out[p + "energy_joules"] = d.integrator.joules
        return out

    def tags(self) -> Dict[str, str]:
        if not self._devices:
            return {}
        counters = all(d.energy0_mj is not None for d in self._devices)
        return {"telemetry.gpu_energy_method": "nvml_total_energy" if counters else "integrated_power"}

    def close(self) -> None:
        try:
            self._nvml.nvmlShutdown()
        except Exception:  # already shut down / driver gone: nothing to release
            pass


COLLECTOR = GPUCollector
