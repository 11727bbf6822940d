"""The post-hoc checker on crafted runs: duplicate seeds, wrong dataset hash, no convergence, too few
runs, broken hyperparameter rules -- and the `sciml-mlflow check` command over the same store."""

from __future__ import annotations

import json

import pytest

from sciml_mlflow.tracking.runstore import load_runs
from sciml_mlflow.rules.checker import check_runs

TABLE = """
benchmark: dms_structure
version: "1.0"
required_runs: 3
seeds: distinct
dataset: {name: dms_sim, digests: {small: d1}}
target: {metric: val_accuracy, value: 0.9, mode: max}
require_metrics: [epoch_elapsed_s]
hyperparameters:
  benchmark.training.batch_size: {one_of: [32, 64]}
  benchmark.training.learning_rate: {expr: "value <= 0.001 * benchmark.training.batch_size / 32"}
"""


@pytest.fixture()
def table_dir(tmp_path):
    d = tmp_path / "tables"
    d.mkdir()
    (d / "dms_structure.yaml").write_text(TABLE)
    return str(d)


def _check(mlflow_client, table_dir, hardware):
    runs = load_runs(mlflow_client.tracking_uri, tag_equals={"hardware": hardware}, history_keys=["val_accuracy"])
    (result,) = check_runs(runs, table_dir=table_dir)
    return result


def _failed(result):
    return sorted({(c.check, c.key) for _, c in result.failures()})


def test_checker_on_crafted_runs(craft_run, mlflow_client, table_dir, tmp_path, capsys):
    # a compliant result: 3 runs, distinct seeds, pinned digest, all converged
    for seed in (1, 2, 3):
        craft_run(hardware="cpu", seed=seed)
    good = _check(mlflow_client, table_dir, "cpu")
    assert good.compliant and _failed(good) == []

    # one non-converged run is allowed (it is the olympic score's dropped slowest) ...
    for seed in (1, 2, 3):
        craft_run(hardware="a100", seed=seed, accs=(0.5, 0.7) if seed == 3 else (0.6, 0.95))
    one_slow = _check(mlflow_client, table_dir, "a100")
    assert one_slow.compliant
    assert [r.converged for r in one_slow.runs].count(False) == 1

    # ... two are not; plus a duplicated seed, a wrong dataset digest and a broken lr rule; too few runs
    craft_run(hardware="v100", seed=5, accs=(0.5,))
    craft_run(hardware="v100", seed=5, accs=(0.6,), digest="tampered",
              params={"benchmark.training.learning_rate": "0.01"})
    bad = _check(mlflow_client, table_dir, "v100")
    assert not bad.compliant
    assert _failed(bad) == [("convergence", "non_converged_runs"), ("dataset", "dataset.digest"),
                            ("hyperparameter", "benchmark.training.learning_rate"), ("runs", "runs"),
                            ("seeds", "seed")]

    # the command: exit 1 because v100 fails; JSON lists every check
    from sciml_mlflow.cli.main import main

    out_json = tmp_path / "checks.json"
    code = main(["check", "--tracking-uri", mlflow_client.tracking_uri, "--table-dir", table_dir, "--json", str(out_json)])
    printed = capsys.readouterr().out
    assert code == 1 and "2/3 result(s) compliant" in printed and "FAIL  dms_structure / v100" in printed
    data = json.loads(out_json.read_text())
    assert {tuple(g["group"]): g["compliant"] for g in data} == {
        ("dms_structure", "a100"): True, ("dms_structure", "cpu"): True, ("dms_structure", "v100"): False}
    assert main(["check", "--tracking-uri", mlflow_client.tracking_uri, "--table-dir", table_dir,
                 "--tag", "hardware=cpu"]) == 0
