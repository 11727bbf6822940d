"""RAPL collector against a fixture /sys/class/powercap tree (nested and flat zones, wrap-around)."""

import os
from pathlib import Path

import pytest

from sciml_mlflow.telemetry.collector import CollectorUnavailable
from sciml_mlflow.telemetry.collectors.rapl import RAPLCollector


def _zone(path: Path, name: str, uj: int, max_uj: int = 262143328850) -> Path:
    path.mkdir(parents=True)
    (path / "name").write_text(name + "\n")
    (path / "energy_uj").write_text(f"{uj}\n")
    (path / "max_energy_range_uj").write_text(f"{max_uj}\n")
    return path


@pytest.fixture()
def powercap(tmp_path: Path) -> Path:
    root = tmp_path / "powercap"
    root.mkdir()
    # the real layout: top-level zones, sub-zones nested, and sysfs also lists sub-zones flat (symlinks)
    pkg0 = _zone(root / "intel-rapl:0", "package-0", 1_000_000, max_uj=10_000_000)
    _zone(pkg0 / "intel-rapl:0:0", "core", 500_000)
    dram0 = _zone(pkg0 / "intel-rapl:0:1", "dram", 2_000_000)
    os.symlink(pkg0 / "intel-rapl:0:0", root / "intel-rapl:0:0")
    os.symlink(dram0, root / "intel-rapl:0:1")
    _zone(root / "intel-rapl:1", "package-1", 3_000_000)
    _zone(root / "intel-rapl:2", "psys", 9_000_000)
    _zone(root / "intel-rapl-mmio:0", "package-0", 1)  # duplicate counter via MMIO: must be ignored
    return root


def _set(zone: Path, uj: int) -> None:
    (zone / "energy_uj").write_text(f"{uj}\n")


def test_reports_packages_and_dram_once_never_core_or_psys(powercap):
    c = RAPLCollector(str(powercap))
    c.start()
    _set(powercap / "intel-rapl:0", 3_000_000)  # +2 J
    _set(powercap / "intel-rapl:0" / "intel-rapl:0:1", 2_500_000)  # +0.5 J
    _set(powercap / "intel-rapl:1", 4_000_000)  # +1 J
    _set(powercap / "intel-rapl:0" / "intel-rapl:0:0", 1_500_000)  # core: inside the package
    s = c.sample()
    energy = {k: v for k, v in s.items() if k.endswith("_energy_joules")}
    assert energy == pytest.approx({"cpu_package_0_energy_joules": 2.0, "cpu_dram_0_energy_joules": 0.5,
                                    "cpu_package_1_energy_joules": 1.0})
    assert s["cpu_package_0_power_watts"] > 0
    assert c.tags() == {"telemetry.cpu_energy_method": "rapl"}


def test_counter_wrap_around_uses_max_energy_range(powercap):
    c = RAPLCollector(str(powercap))
    c.start()
    pkg = powercap / "intel-rapl:0"
    _set(pkg, 9_500_000)
    assert c.sample()["cpu_package_0_energy_joules"] == pytest.approx(8.5)
    _set(pkg, 500_000)  # wrapped at 10 J: 9.5 -> 10 -> 0.5 = +1 J
    assert c.sample()["cpu_package_0_energy_joules"] == pytest.approx(9.5)


def test_missing_tree_is_unavailable(tmp_path):
    with pytest.raises(CollectorUnavailable, match="no RAPL zones"):
        RAPLCollector(str(tmp_path / "nope")).start()


def test_unreadable_counter_is_unavailable_with_a_fix(powercap, monkeypatch):
    real = Path.read_text

    def deny(self, *a, **k):
        if self.name == "energy_uj":
            raise PermissionError(13, "Permission denied", str(self))
        return real(self, *a, **k)

    monkeypatch.setattr(Path, "read_text", deny)
    with pytest.raises(CollectorUnavailable, match="chmod o\\+r"):
        RAPLCollector(str(powercap)).start()
