"""CPU package and DRAM energy from Linux RAPL (``/sys/class/powercap/intel-rapl:*``; AMD uses the same zones).

Only non-overlapping domains are reported as energy: each ``package-N`` and its ``dram`` sub-zone.
``core``/``uncore`` are inside the package and ``psys`` covers the whole platform, so summing them would
count joules twice.  Counters wrap at ``max_energy_range_uj``; see energy.WrappingCounter.
Since Linux 5.10 ``energy_uj`` is readable by root only (CVE-2020-8694): then this collector is skipped
with one INFO line naming the fix.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from sciml_mlflow.telemetry.collector import CollectorUnavailable
from sciml_mlflow.telemetry.energy import WrappingCounter

DEFAULT_ROOT = "/sys/class/powercap"


def _read_int(path: Path) -> int:
    return int(path.read_text().strip())


class RAPLCollector:
    name = "rapl"
    node_wide = True
    measures_energy = True

    def __init__(self, root: Optional[str] = None) -> None:
        self._root = Path(root or DEFAULT_ROOT)
        self._zones: List[Tuple[str, Path, WrappingCounter]] = []
        self._last: Dict[str, Tuple[float, int]] = {}

    def _discover(self) -> List[Tuple[str, Path]]:
        found: Dict[Path, Tuple[str, Path]] = {}
        for zone in sorted(self._root.glob("intel-rapl:*")) + sorted(self._root.glob("intel-rapl:*/intel-rapl:*")):
            try:
                kind = (zone / "name").read_text().strip()
            except OSError:
                continue
            ids = zone.name.split(":")[1:]
            metric: Optional[str] = None
            if kind.startswith("package-"):
                metric = f"cpu_package_{kind.split('-', 1)[1]}"
            elif kind == "dram" and ids:
                metric = f"cpu_dram_{ids[0]}"
            if metric:
                found.setdefault(zone.resolve(), (metric, zone))
        return sorted(found.values())

    def start(self) -> None:
        zones = self._discover()
        if not zones:
            raise CollectorUnavailable(f"no RAPL zones under {self._root}")
        for metric, zone in zones:
            try:
                raw = _read_int(zone / "energy_uj")
            except PermissionError as exc:
                raise CollectorUnavailable(
                    f"{zone / 'energy_uj'} is not readable by this user (root-only since Linux 5.10); "
                    f"to measure CPU energy run: sudo chmod o+r {self._root}/intel-rapl:*/energy_uj"
                ) from exc
            except (OSError, ValueError) as exc:
                raise CollectorUnavailable(f"cannot read {zone / 'energy_uj'}: {exc}") from exc
            try:
                max_range: Optional[int] = _read_int(zone / "max_energy_range_uj")
            except (OSError, ValueError):
                max_range = None
            self._zones.append((metric, zone / "energy_uj", WrappingCounter(raw, max_range)))
            self._last[metric] = (time.monotonic(), 0)

    def sample(self) -> Dict[str, float]:
        out: Dict[str, float] = {}
        now = time.monotonic()
        for metric, path, counter in self._zones:
            total_uj = counter.update(_read_int(path))
            out[f"{metric}_energy_joules"] = total_uj / 1e6
            t0, uj0 = self._last[metric]
            if now > t0:
                out[f"{metric}_power_watts"] = (total_uj - uj0) / 1e6 / (now - t0)
            self._last[metric] = (now, total_uj)
        return out

    def tags(self) -> Dict[str, str]:
        return {"telemetry.cpu_energy_method": "rapl"}

    def close(self) -> None:
        return None


COLLECTOR = RAPLCollector
