"""Each constraint kind accepts what it should and rejects what it should; tables validate strictly."""

from pathlib import Path

import pytest

from sciml_mlflow.errors import ConfigError
from sciml_mlflow.rules.constraints import evaluate_one, parse_param
from sciml_mlflow.rules.table import ConstraintSpec, load_table, load_table_file

VALUES = {"t.lr": 0.002, "t.bs": 64, "t.opt": "adamw", "t.flag": False, "t.wd": 0.5}


@pytest.mark.parametrize("key, spec, ok", [
    ("t.opt", ConstraintSpec(fixed="adamw"), True),
    ("t.opt", ConstraintSpec(fixed="sgd"), False),
    ("t.flag", ConstraintSpec(fixed=False), True),
    ("t.flag", ConstraintSpec(fixed=0), False),  # bool is not an int here
    ("t.bs", ConstraintSpec(min=16, max=128), True),
    ("t.bs", ConstraintSpec(max=32), False),
    ("t.opt", ConstraintSpec(min=0), False),  # a string is out of any range
    ("t.bs", ConstraintSpec(one_of=[32, 64]), True),
    ("t.bs", ConstraintSpec(one_of=[16, 32]), False),
    ("t.lr", ConstraintSpec(expr="value <= 0.001 * t.bs / 32"), True),
    ("t.lr", ConstraintSpec(expr="value <= 0.001 * t.bs / 128"), False),
    ("t.wd", ConstraintSpec(unconstrained=True), True),
    ("t.missing", ConstraintSpec(unconstrained=True), False),  # the table names a key the run lacks
])
def test_constraint_kinds(key, spec, ok):
    assert evaluate_one(key, spec, VALUES).ok is ok


def test_a_constraint_sets_exactly_one_kind(tmp_path: Path):
    p = tmp_path / "b.yaml"
    p.write_text("benchmark: b\nversion: '1'\nhyperparameters:\n  t.bs: {fixed: 1, max: 3}\n")
    with pytest.raises(ConfigError, match="exactly one"):
        load_table_file(p, "b")


def test_unknown_table_keys_fail(tmp_path: Path):
    p = tmp_path / "b.yaml"
    p.write_text("benchmark: b\nversion: '1'\nrequired_runz: 5\n")
    with pytest.raises(ConfigError, match="required_runz"):
        load_table_file(p, "b")


def test_unsafe_expression_in_table_fails_at_load(tmp_path: Path):
    p = tmp_path / "b.yaml"
    p.write_text("benchmark: b\nversion: '1'\nhyperparameters:\n  t.bs: {expr: \"__import__('os')\"}\n")
    with pytest.raises(ConfigError):
        load_table_file(p, "b")


def test_shipped_table_loads():
    loaded = load_table("dms_structure")
    assert loaded is not None and loaded.table.required_runs >= 1 and loaded.table.hyperparameters


@pytest.mark.parametrize("text, value", [("32", 32), ("0.001", 0.001), ("1e-05", 1e-05), ("False", False),
                                         ("None", None), ("adamw", "adamw"), ("[1, 2]", [1, 2])])
def test_params_parse_back_to_config_values(text, value):
    assert parse_param(text) == value and type(parse_param(text)) is type(value)
