"""Reference convergence points: the stored reference is real evidence (>= 5 distinct seeds, consistent
statistics), an implausibly fast run is failed by the checker, a normal one passes, other configurations
are not judged; and our MLPerf logging configs state the same targets as the rule tables."""

from __future__ import annotations

import statistics

import pytest
import yaml

from sciml_mlflow.tracking.runstore import load_runs
from sciml_mlflow.rules.checker import check_runs
from sciml_mlflow.rules.rcp import MIN_REFERENCE_RUNS, build_rcp, load_rcp


@pytest.mark.parametrize("benchmark", ["dms_structure", "em_denoise", "slstr_cloud"])
def test_stored_reference_is_evidence_not_a_guess(benchmark):
    from sciml_mlflow.rules.table import load_table

    rcp = load_rcp(benchmark)
    table = load_table(benchmark).table
    assert rcp is not None and rcp.scale == "small" and (rcp.metric, rcp.target) == (table.target.metric, table.target.value)
    assert len(rcp.seeds) >= MIN_REFERENCE_RUNS and len(set(rcp.seeds)) == len(rcp.seeds)
    assert rcp.mean == pytest.approx(statistics.fmean(rcp.epochs_to_target))
    assert rcp.stdev == pytest.approx(statistics.stdev(rcp.epochs_to_target))
    assert rcp.source.get("sweep"), "which sweep the reference came from"


def test_implausibly_fast_convergence_is_flagged(craft_run, mlflow_client):
    for seed, accs in enumerate([(0.95, 0.96, 0.97), (0.6, 0.8, 0.95), (0.6, 0.91, 0.95)]):
        craft_run(hardware="cpu", seed=seed, accs=accs)
    craft_run(hardware="cpu", seed=9, accs=(0.95, 0.96), params={"benchmark.training.batch_size": "64"})
    runs = load_runs(mlflow_client.tracking_uri, history_keys=["val_accuracy"])
    (result,) = check_runs(runs)
    rcp = {r.run.tags["seed"]: next(c for c in r.checks if c.check == "rcp") for r in result.runs}
    assert rcp["0"].ok is False and "implausibly fast" in rcp["0"].message and rcp["0"].value == "1"
    assert rcp["1"].ok is True and rcp["2"].ok is True
    assert rcp["9"].ok is None and "no reference" in rcp["9"].message  # batch 64: not the reference configuration
    assert not result.compliant and [c.check for rid, c in result.failures() if rid != "*"] == ["rcp"]


def test_build_rcp_refuses_too_few_or_duplicate_seeds(craft_run, mlflow_client):
    from sciml_mlflow.errors import ConfigError

    for seed in (1, 2, 3, 4):
        craft_run(seed=seed)
    runs = load_runs(mlflow_client.tracking_uri, history_keys=["val_accuracy"])
    with pytest.raises(ConfigError, match=">= 5"):
        build_rcp(runs)
    craft_run(seed=4)
    with pytest.raises(ConfigError, match="distinct seeds"):
        build_rcp(load_runs(mlflow_client.tracking_uri, history_keys=["val_accuracy"]))


@pytest.mark.parametrize("benchmark", ["dms_structure", "slstr_cloud", "em_denoise"])
def test_mlperf_configs_state_the_rule_tables_target(benchmark):
    from sciml_mlflow.core.resources import config_dir
    from sciml_mlflow.export.official import USAGES, config_path
    from sciml_mlflow.rules.table import load_table

    table = load_table(benchmark).table
    closed = yaml.safe_load((config_dir() / "mlperf" / benchmark / f"closed_{benchmark}.yaml").read_text())
    keys = {k["KEY"]["NAME"]: k["KEY"] for k in closed}
    op = ">=" if table.target.mode == "max" else "<="
    assert keys["eval_accuracy"]["ATLEAST_ONE_CHECK"].strip() == f"v['value'] {op} {table.target.value}"
    assert f"== '{table.target.metric}'" in keys["eval_accuracy"]["CHECK"][1]
    assert f"'{table.hyperparameters['benchmark.training.optimizer'].fixed}'" in keys["opt_name"]["CHECK"]
    for usage in USAGES:
        assert config_path(benchmark, usage).is_absolute()
