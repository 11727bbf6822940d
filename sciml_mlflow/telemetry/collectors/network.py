"""Bytes received and sent by the node since the run started (all interfaces)."""

from __future__ import annotations

from typing import Dict

from sciml_mlflow.telemetry.collector import CollectorUnavailable

_MB = 1024.0**2


class NetworkCollector:
    name = "network"
    node_wide = True
    measures_energy = False

    def start(self) -> None:
        import psutil

        self._psutil = psutil
        self._io0 = psutil.net_io_counters()
        if self._io0 is None:
            raise CollectorUnavailable("no network counters (/proc/net/dev unreadable)")

    def sample(self) -> Dict[str, float]:
        io = self._psutil.net_io_counters()
        return {
            "network_receive_megabytes": (io.bytes_recv - self._io0.bytes_recv) / _MB,
            "network_transmit_megabytes": (io.bytes_sent - self._io0.bytes_sent) / _MB,
        }

    def tags(self) -> Dict[str, str]:
        return {}

    def close(self) -> None:
        return None


COLLECTOR = NetworkCollector
