"""Discovery of SciMLBench folders (no import, no card) and their entry points."""

from __future__ import annotations

import sys

import pytest

from sciml_mlflow.core import registry
from sciml_mlflow.errors import ModeNotDefinedError
from sciml_mlflow.scimlbench.spec import SciMLBenchSpec

HEAVY = '''
import no_such_framework_xyz  # discovery must not import this


def sciml_bench_inference(params_in, params_out):
    pass
'''


def _folder(root, name, code, filename=None):
    folder = root / "benchmarks" / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / (filename or f"{name}.py")).write_text(code)
    return folder


def test_a_folder_with_name_py_defining_an_entry_is_a_benchmark_found_without_importing(tmp_path, monkeypatch):
    _folder(tmp_path, "sb_heavy", HEAVY)
    _folder(tmp_path, "sb_helpers", "def helper():\n    pass\n")  # <name>.py without entries: not a benchmark
    _folder(tmp_path, "sb_legacy", "def sciml_bench_run(smlb_in, smlb_out):\n    pass\n")  # SciMLBench 1.0
    monkeypatch.setenv("SCIML_MLFLOW_BENCHMARKS", str(tmp_path))
    found = registry.discover()
    assert isinstance(found["sb_heavy"], SciMLBenchSpec) and "sb_helpers" not in found
    assert found["sb_heavy"].defined_modes() == ["inference"]
    assert "no_such_framework_xyz" not in sys.modules
    assert found["sb_legacy"].defined_modes() == ["train"]


def test_benchmark_py_wins_over_a_sciml_bench_module(tmp_path, monkeypatch):
    folder = _folder(tmp_path, "sb_dual", "def sciml_bench_training(a, b):\n    pass\n")
    (folder / "benchmark.py").write_text("def train(ctx):\n    return 'native'\n")
    monkeypatch.setenv("SCIML_MLFLOW_BENCHMARKS", str(tmp_path))
    spec = registry.get("sb_dual")
    assert not isinstance(spec, SciMLBenchSpec) and spec.entry_point("train")(None) == "native"


def test_missing_mode_is_a_clear_error_naming_the_function(tmp_path, monkeypatch):
    _folder(tmp_path, "sb_inf_only", "def sciml_bench_inference(a, b):\n    pass\n")
    monkeypatch.setenv("SCIML_MLFLOW_BENCHMARKS", str(tmp_path))
    with pytest.raises(ModeNotDefinedError) as err:
        registry.get("sb_inf_only").entry_point("train")
    msg = str(err.value)
    assert "sb_inf_only" in msg and "'train'" in msg and "sciml_bench_training" in msg and "inference" in msg
    with pytest.raises(ModeNotDefinedError, match="not a benchmark mode"):
        registry.get("sb_inf_only").entry_point("evaluate")


def test_entry_point_imports_with_the_sciml_bench_runtime_available(tmp_path, monkeypatch):
    _folder(tmp_path, "sb_imports", "from sciml_bench.core.runtime import RuntimeIn, RuntimeOut\n"
                                    "from sciml_bench.core.utils import SafeDict, MultiLevelLogger\n"
                                    "from sciml_bench.core.config import ProgramEnv\n"
                                    "from sciml_bench.core.system import SystemMonitor\n"
                                    "def sciml_bench_training(params_in: RuntimeIn, params_out: RuntimeOut):\n"
                                    "    pass\n")
    monkeypatch.setenv("SCIML_MLFLOW_BENCHMARKS", str(tmp_path))
    for name in [m for m in sys.modules if m == "sciml_bench" or m.startswith("sciml_bench.")]:
        monkeypatch.delitem(sys.modules, name)
    assert callable(registry.get("sb_imports").entry_point("train"))
    from sciml_bench.core.utils import SafeDict

    from sciml_mlflow.scimlbench.params_in import BenchArgs

    assert SafeDict is BenchArgs
