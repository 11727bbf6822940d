"""Benchmark discovery and the entry-point contract."""

from __future__ import annotations

import pytest

from sciml_mlflow.core import registry
from sciml_mlflow.errors import BenchmarkContractError, BenchmarkNotFoundError, ModeNotDefinedError


def test_suite_benchmarks_are_discovered_without_a_central_list():
    found = registry.discover()
    assert "dms_structure" in found
    for spec in found.values():
        assert (spec.path / "benchmark.py").is_file()


def test_a_new_folder_is_a_new_benchmark(make_benchmark):
    make_benchmark("toy_added", "def train(ctx):\n    pass\n")
    assert "toy_added" in registry.discover()
    assert registry.get("toy_added").defined_modes() == ["train"]


def test_undefined_mode_names_benchmark_and_mode(make_benchmark):
    make_benchmark("toy_trainonly", "def train(ctx):\n    pass\n")
    with pytest.raises(ModeNotDefinedError) as err:
        registry.get("toy_trainonly").entry_point("inference")
    msg = str(err.value)
    assert "toy_trainonly" in msg and "inference" in msg and "train" in msg


def test_unknown_mode_lists_valid_modes(make_benchmark):
    make_benchmark("toy_modes", "def train(ctx):\n    pass\n")
    with pytest.raises(ModeNotDefinedError, match="train, inference"):
        registry.get("toy_modes").entry_point("evaluate")


def test_unknown_benchmark_lists_available():
    with pytest.raises(BenchmarkNotFoundError) as err:
        registry.get("no_such_benchmark")
    assert "dms_structure" in str(err.value)


def test_relative_imports_inside_a_benchmark_folder(make_benchmark):
    root = make_benchmark("toy_rel", "from .helper import VALUE\ndef train(ctx):\n    return VALUE\n")
    (root / "benchmarks" / "toy_rel" / "helper.py").write_text("VALUE = 7\n")
    assert registry.get("toy_rel").entry_point("train")(None) == 7


def test_missing_submodule_is_a_contract_error(make_benchmark):
    make_benchmark("toy_nodata", "def train(ctx):\n    pass\n")
    with pytest.raises(BenchmarkContractError, match="nosuchmodule.py"):
        registry.get("toy_nodata").load("nosuchmodule")


def test_no_top_level_benchmarks_package_is_installed(tmp_path):
    """Outside the checkout, installing the project must not make `import benchmarks` work."""
    import subprocess
    import sys

    code = "import importlib.util, sciml_mlflow; print(importlib.util.find_spec('benchmarks'))"
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "None"
