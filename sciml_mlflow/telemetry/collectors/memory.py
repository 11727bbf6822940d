"""Host memory in use (node) and this process's resident set."""

from __future__ import annotations

from typing import Dict

_MB = 1024.0**2


class MemoryCollector:
    name = "memory"
    node_wide = False  # the process RSS is per process; the node figures repeat harmlessly
    measures_energy = False

    def start(self) -> None:
        import psutil

        self._psutil = psutil
        self._proc = psutil.Process()

    def sample(self) -> Dict[str, float]:
        vm = self._psutil.virtual_memory()
        return {
            "system_memory_usage_megabytes": (vm.total - vm.available) / _MB,
            "system_memory_usage_percentage": vm.percent,
            "process_memory_rss_megabytes": self._proc.memory_info().rss / _MB,
        }

    def tags(self) -> Dict[str, str]:
        return {}

    def close(self) -> None:
        return None


COLLECTOR = MemoryCollector
