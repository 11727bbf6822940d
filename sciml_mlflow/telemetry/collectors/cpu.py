"""CPU utilisation of the node (psutil), as MLflow names it."""

from __future__ import annotations

from typing import Dict


class CPUCollector:
    name = "cpu"
    node_wide = True
    measures_energy = False

    def start(self) -> None:
        import psutil

        self._psutil = psutil
        self._proc = psutil.Process()
        psutil.cpu_percent(interval=None)  # primes the counter: the first real reading covers one interval
        self._proc.cpu_percent(interval=None)

    def sample(self) -> Dict[str, float]:
        return {
            "cpu_utilization_percentage": self._psutil.cpu_percent(interval=None),
            # this process (all threads), in % of one core: tells the benchmark apart from its neighbours
            "process_cpu_utilization_percentage": self._proc.cpu_percent(interval=None),
        }

    def tags(self) -> Dict[str, str]:
        return {}

    def close(self) -> None:
        return None


COLLECTOR = CPUCollector
