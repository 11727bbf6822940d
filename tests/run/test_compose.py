"""Composition: every benchmark x hardware profile, typed schemas, the command line."""

from __future__ import annotations

import pytest
from hydra.errors import ConfigCompositionException
from omegaconf import OmegaConf

from sciml_mlflow.run.compose import compose
from sciml_mlflow.config.schema import Config
from sciml_mlflow.core import registry
from sciml_mlflow.core.resources import config_dir
from tests.conftest import run_cli
from tests.machine import cpu_only

BENCHMARKS = sorted(registry.discover())
HARDWARE = sorted(p.stem for p in (config_dir() / "hardware").glob("*.yaml"))


def test_required_profiles_exist():
    assert {"cpu", "a100", "h100", "h200", "v100"} <= set(HARDWARE)


@pytest.mark.parametrize("hardware", HARDWARE)
@pytest.mark.parametrize("benchmark", BENCHMARKS)
def test_every_benchmark_and_hardware_composes(benchmark: str, hardware: str, sciml_home):
    cfg = compose([f"benchmark={benchmark}", f"hardware={hardware}"])
    typed = OmegaConf.to_object(cfg)  # full schema check, every interpolation resolved
    assert isinstance(typed, Config)
    assert typed.benchmark.name == benchmark and typed.hardware.name == hardware
    assert (registry.get(benchmark).path / "benchmark.py").is_file()
    if typed.hardware.accelerator == "cuda":
        assert typed.hardware.tdp_watts and typed.hardware.peak_flops.get(typed.hardware.precision)


def test_unknown_key_fails(sciml_home):
    with pytest.raises(ConfigCompositionException, match="benchmark.training.epoch"):
        compose(["benchmark.training.epoch=3"])


def test_wrong_type_fails(sciml_home):
    with pytest.raises(ConfigCompositionException, match="benchmark.training.epochs") as err:
        compose(["benchmark.training.epochs=many"])
    assert "many" in str(err.value.__cause__)


def test_bad_override_on_the_command_line_fails_before_running(sciml_home):
    out = run_cli(["benchmark.training.epochs=many"], timeout=60)
    assert out.returncode != 0
    text = out.stdout + out.stderr
    assert "benchmark.training.epochs" in text and "many" in text
    assert not (sciml_home / "mlflow.db").exists(), "nothing may run on a bad override"


def test_unknown_benchmark_on_the_command_line(sciml_home):
    out = run_cli(["benchmark=no_such_thing"], timeout=60)
    assert out.returncode != 0
    text = out.stdout + out.stderr
    assert "no_such_thing" in text and "dms_structure" in text


def test_undefined_mode_on_the_command_line_names_benchmark_and_mode(sciml_home):
    out = run_cli(["mode=evaluate"], timeout=60)
    assert out.returncode == 2
    text = out.stdout + out.stderr
    assert "'evaluate' is not a benchmark mode" in text and "train, inference" in text


@cpu_only
def test_cfg_job_and_defaults_tree(sciml_home):
    out = run_cli(["--cfg", "job", "benchmark=dms_structure", "hardware=a100"], timeout=60)
    assert out.returncode == 0, out.stderr
    assert "name: a100" in out.stdout and "name: dms_structure" in out.stdout
    tree = run_cli(["--info", "defaults-tree"], timeout=60)
    assert tree.returncode == 0 and "hardware: cpu" in tree.stdout  # detected on this CPU-only machine


@cpu_only
def test_hardware_defaults_to_the_detected_profile(sciml_home):
    from sciml_mlflow.cli.hydra_app import _with_detected_hardware

    assert _with_detected_hardware(["benchmark=dms_structure"])[-1] == "hardware=cpu"
    assert _with_detected_hardware(["hardware=a100"]) == ["hardware=a100"]
    assert _with_detected_hardware(["hardware=auto", "seed=1"]) == ["seed=1", "hardware=cpu"]
