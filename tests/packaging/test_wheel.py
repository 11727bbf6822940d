"""A built wheel carries conf/ and benchmarks/ inside the package and runs from any directory."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out),
                    str(ROOT)], check=True, capture_output=True, text=True, timeout=300)
    (whl,) = out.glob("sciml_mlflow-*.whl")
    return whl


@pytest.mark.slow
def test_wheel_maps_conf_and_benchmarks_into_the_package(wheel: Path):
    names = zipfile.ZipFile(wheel).namelist()
    assert "sciml_mlflow/_bundled/conf/config.yaml" in names
    assert "sciml_mlflow/_bundled/conf/hardware/a100.yaml" in names
    assert "sciml_mlflow/_bundled/benchmarks/dms_structure/benchmark.py" in names
    assert not [n for n in names if n.startswith(("benchmarks/", "conf/"))], "no top-level benchmarks/conf"
    sources = {p.relative_to(ROOT).as_posix() for p in (ROOT / "sciml_mlflow").rglob("*.py")
               if "__pycache__" not in p.parts}
    assert sources <= set(names), f"modules missing from the wheel: {sorted(sources - set(names))}"
    cards = {"sciml_mlflow/_bundled/" + p.relative_to(ROOT).as_posix() for p in (ROOT / "conf").rglob("*.yaml")}
    assert cards <= set(names), f"config files missing from the wheel: {sorted(cards - set(names))}"


@pytest.mark.slow
def test_installed_wheel_composes_from_any_directory(wheel: Path, tmp_path: Path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
                   check=True, capture_output=True, text=True, timeout=300)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target)}
    probe = subprocess.run(
        [sys.executable, "-c", "from sciml_mlflow.core import resources, registry; "
         "print(resources.config_dir()); print(sorted(registry.discover()))"],
        cwd=elsewhere, env=env, capture_output=True, text=True, check=True)
    conf_dir, benches = probe.stdout.splitlines()
    assert conf_dir.startswith(str(target)), conf_dir
    assert "dms_structure" in benches
    out = subprocess.run([sys.executable, "-m", "sciml_mlflow", "--cfg", "job", "hardware=a100"], cwd=elsewhere,
                         env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "name: dms_structure" in out.stdout and "name: a100" in out.stdout
