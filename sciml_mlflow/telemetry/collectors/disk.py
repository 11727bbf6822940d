"""Disk space of the filesystem holding ``path`` and the node's disk I/O since the run started."""

from __future__ import annotations

from typing import Dict, Optional

from sciml_mlflow.telemetry.collector import CollectorUnavailable

_MB = 1024.0**2


class DiskCollector:
    name = "disk"
    node_wide = True
    measures_energy = False

    def __init__(self, path: str = "/") -> None:
        self._path = path
        self._io0: Optional[object] = None

    def start(self) -> None:
        import psutil

        self._psutil = psutil
        try:
            psutil.disk_usage(self._path)
        except OSError as exc:
            raise CollectorUnavailable(f"cannot stat {self._path}: {exc}") from exc
        try:
            self._io0 = psutil.disk_io_counters()
        except (OSError, RuntimeError):  # containers without /proc/diskstats
            self._io0 = None

    def sample(self) -> Dict[str, float]:
        du = self._psutil.disk_usage(self._path)
        out = {
            "disk_usage_percentage": du.percent,
            "disk_usage_megabytes": du.used / _MB,
            "disk_available_megabytes": du.free / _MB,
        }
        if self._io0 is not None:
            io = self._psutil.disk_io_counters()
            if io is not None:
                out["disk_read_megabytes"] = (io.read_bytes - self._io0.read_bytes) / _MB  # type: ignore[attr-defined]
                out["disk_write_megabytes"] = (io.write_bytes - self._io0.write_bytes) / _MB  # type: ignore[attr-defined]
        return out

    def tags(self) -> Dict[str, str]:
        return {}

    def close(self) -> None:
        return None


COLLECTOR = DiskCollector
