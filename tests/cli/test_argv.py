"""The run app's command line: Hydra options and overrides in any order (unit level, no process)."""

from __future__ import annotations

import pytest

from sciml_mlflow.cli.argv import ordered, split, starts_no_run


@pytest.mark.parametrize("argv, options, overrides", [
    (["benchmark=x", "--cfg", "job"], ["--cfg", "job"], ["benchmark=x"]),
    (["benchmark=x", "--cfg", "job", "seed=1"], ["--cfg", "job"], ["benchmark=x", "seed=1"]),
    (["seed=1", "-c", "job", "-p", "seed", "benchmark=x"], ["-c", "job", "-p", "seed"], ["seed=1", "benchmark=x"]),
    (["benchmark=x", "--info"], ["--info"], ["benchmark=x"]),
    (["benchmark=x", "--info", "defaults", "seed=2"], ["--info", "defaults"], ["benchmark=x", "seed=2"]),
    (["benchmark=x", "--info", "seed=2"], ["--info"], ["benchmark=x", "seed=2"]),  # seed=2 is no --info choice
    (["seed=1,2", "-m", "benchmark=x"], ["-m"], ["seed=1,2", "benchmark=x"]),
    (["benchmark=x", "--cfg=job", "--resolve"], ["--cfg=job", "--resolve"], ["benchmark=x"]),
    (["+tags.a=-1", "~tags.b", "--multirun"], ["--multirun"], ["+tags.a=-1", "~tags.b"]),
    (["-sc", "query=bash"], ["-sc"], ["query=bash"]),
])
def test_split_keeps_option_values_and_override_order(argv, options, overrides):
    assert split(argv) == (options, overrides)


def test_ordered_puts_options_first_and_extra_overrides_last():
    assert ordered(["benchmark=x", "--cfg", "job", "seed=3"], ["hardware=cpu"]) == [
        "--cfg", "job", "benchmark=x", "seed=3", "hardware=cpu"]


def test_no_run_flags():
    assert starts_no_run(["benchmark=x", "--help"]) and starts_no_run(["-sc", "install=bash"])
    assert not starts_no_run(["--cfg", "job"]) and not starts_no_run(["-m", "seed=1,2"])


def test_detected_hardware_goes_after_the_overrides_not_after_options():
    from sciml_mlflow.cli.hydra_app import _with_detected_hardware

    assert _with_detected_hardware(["benchmark=dms_structure", "--cfg", "job"]) == [
        "--cfg", "job", "benchmark=dms_structure", "hardware=cpu"]
    assert _with_detected_hardware(["-m", "hardware=auto", "seed=1,2"]) == ["-m", "seed=1,2", "hardware=cpu"]
    assert _with_detected_hardware(["hardware=a100", "--info"]) == ["--info", "hardware=a100"]
    assert _with_detected_hardware(["benchmark=x", "--help"]) == ["--help", "benchmark=x"]  # no probe for help
