"""Bench args behave as SciMLBench's SafeDict: strings in, typed and defaulted on request."""

from __future__ import annotations

import pytest

from sciml_mlflow.scimlbench.params_in import BenchArgs, ParamsIn, as_cli_string, bench_args_from


def test_values_from_hydra_become_the_strings_sciml_bench_would_pass():
    args = bench_args_from({"epochs": 7, "lr": 0.001, "use_gpu": False, "tag": "a", "layers": [1, 2]})
    assert dict(args) == {"epochs": "7", "lr": "0.001", "use_gpu": "false", "tag": "a", "layers": "[1, 2]"}
    assert as_cli_string(None) == "null"


def test_try_get_casts_to_the_default_type_and_defaults_when_absent():
    args = BenchArgs({"epochs": "7", "lr": "1e-3", "name": "x", "flag": "No", "on": "YES"})
    assert args.try_get("epochs", 10) == 7
    assert args.try_get("lr", 0.1) == pytest.approx(0.001)
    assert args.try_get("name", "default") == "x"
    assert args.try_get("flag", True) is False and args.try_get("on", False) is True
    assert args.try_get("missing", 3) == 3


def test_try_get_dict_reads_every_default_key_and_ignores_others():
    args = BenchArgs({"batch_size": "8", "unused": "1"})
    assert args.try_get_dict(default_args={"batch_size": 128, "epochs": 2}) == {"batch_size": 8, "epochs": 2}


@pytest.mark.parametrize("value, default", [("abc", 1), ("maybe", True), ("1.5", 2)])
def test_a_value_that_does_not_cast_is_an_error_naming_key_and_type(value, default):
    with pytest.raises(ValueError) as err:
        BenchArgs({"k": value}).try_get("k", default)
    msg = str(err.value)
    assert "'k'" in msg and repr(value) in msg and type(default).__name__ in msg and "benchmark.bench_args.k" in msg


def test_params_in_has_sciml_bench_fields(tmp_path):
    p = ParamsIn(dataset_dir=tmp_path, output_dir=tmp_path, bench_args=BenchArgs(), execution_mode="training")
    assert p.start_time.endswith("Z") and "T" in p.start_time
    assert p.valid is True and p.error_msg is None and p.model is None
