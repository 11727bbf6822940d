"""Optuna search: trials are real runs grouped under a study run; the rules shape the space."""

from __future__ import annotations


import pytest

from tests.conftest import TINY

pytest.importorskip("optuna", reason="optuna not installed (pip install .[sweep])")


def test_three_trials_grouped_under_a_study_run(toy_collection, tmp_path, mlflow_client):
    from sciml_mlflow.sweep.hpo import run_study

    space = tmp_path / "space.yaml"
    space.write_text("space:\n  benchmark.training.learning_rate: {low: 0.001, high: 0.1, log: true}\n"
                     "  benchmark.training.batch_size: {choices: [8, 16]}\n")
    res = run_study(["benchmark=toy_sweep", *TINY], n_trials=3, space_file=space, seed=1)
    assert res.status == "FINISHED"
    parent = mlflow_client.get_run(res.parent_run_id)
    assert parent.data.tags["sweep.kind"] == "study" and parent.info.status == "FINISHED"
    runs = mlflow_client.search_runs([parent.info.experiment_id],
                                     filter_string=f"tags.`mlflow.parentRunId` = '{res.parent_run_id}'")
    assert len(runs) == 3
    values = sorted(r.data.metrics["val_accuracy"] for r in runs)
    lrs = sorted(float(r.data.params["benchmark.training.learning_rate"]) for r in runs)
    assert values == pytest.approx([0.5 + lr for lr in lrs])  # each trial ran with its own sampled value
    assert all(0.001 <= lr <= 0.1 for lr in lrs)
    assert {r.data.tags["study.trial"] for r in runs} == {"0", "1", "2"}
    assert res.best_value == pytest.approx(max(values))
    assert parent.data.metrics["best_val_accuracy"] == pytest.approx(max(values))


def test_rules_narrow_the_space():
    from sciml_mlflow.rules.table import ConstraintSpec, RuleTable
    from sciml_mlflow.sweep.hpo import Dimension, constrain

    table = RuleTable(benchmark="x", version="1", hyperparameters={
        "a": ConstraintSpec(fixed=1), "b": ConstraintSpec(one_of=[16, 32, 64]), "c": ConstraintSpec(min=1, max=5)})
    space = constrain({"a": Dimension("a", 0, 2), "b": Dimension("b", choices=[8, 16, 32]),
                       "c": Dimension("c", 0, 10, integer=True)}, table)
    assert "a" not in space  # fixed by the rules: not searched
    assert space["b"].choices == [16, 32]
    assert (space["c"].low, space["c"].high) == (1, 5)
