"""Pre-run compliance end to end: closed refusal before any run exists, non-enforced tagging, the
compliance artifact, and the MLLOG log read back by mlperf-logging's own parser."""

from __future__ import annotations

import json

import pytest

from sciml_mlflow.run import run_benchmark
from sciml_mlflow.errors import HardwareMismatchError, RuleViolationError

TOY = '''
import time

def train(ctx):
    t0 = time.perf_counter()
    for epoch in range(1, ctx.hparams.epochs + 1):
        ctx.metrics.log_dict({"val_accuracy": 0.5 + 0.2 * epoch, "epoch_elapsed_s": time.perf_counter() - t0 + epoch},
                             step=epoch)
    ctx.metrics.log_dict({"train_samples": 8, "val_samples": 2})
'''
CARD = "target: {metric: val_accuracy, value: 0.8, mode: max}\n"
TABLE = """
benchmark: toy_rules
version: "2.1"
required_runs: 3
target: {metric: val_accuracy, value: 0.8, mode: max}
hyperparameters:
  benchmark.training.learning_rate: {expr: "value <= 0.001 * benchmark.training.batch_size / 32"}
  benchmark.training.optimizer: {one_of: [adam, adamw]}
  benchmark.training.epochs: {min: 1, max: 5}
  benchmark.training.weight_decay: {unconstrained: true}
"""


@pytest.fixture()
def toy(make_benchmark):
    root = make_benchmark("toy_rules", TOY, card=CARD)
    (root / "conf" / "ruletables").mkdir(parents=True, exist_ok=True)
    (root / "conf" / "ruletables" / "toy_rules.yaml").write_text(TABLE)
    return root


def test_closed_violation_is_refused_before_any_run(toy, compose_cfg, sciml_home):
    cfg = compose_cfg("benchmark=toy_rules", "rules=closed", "benchmark.training.learning_rate=0.01",
                      "benchmark.training.optimizer=sgd")
    with pytest.raises(RuleViolationError) as err:
        run_benchmark(cfg)
    text = str(err.value)
    assert "benchmark.training.learning_rate" in text and "0.01" in text and "benchmark.training.optimizer" in text
    assert "rules.enforce=false" in text  # says what to do
    assert not (sciml_home / "mlflow.db").exists()  # refused before the store was even opened: no run exists


def test_hardware_mismatch_is_refused_under_closed_rules(toy, compose_cfg, sciml_home):
    from sciml_mlflow.hardware.detect import detect_machine

    if any("H100" in g.name for g in detect_machine().gpus):
        pytest.skip("this machine is an H100: pick another profile to provoke a mismatch")
    cfg = compose_cfg("benchmark=toy_rules", "rules=closed", "hardware=h100")
    with pytest.raises(HardwareMismatchError, match="hardware"):
        run_benchmark(cfg)
    assert not (sciml_home / "mlflow.db").exists()


def test_not_enforced_runs_tagged_non_compliant_with_mllog(toy, compose_cfg, mlflow_client, tmp_path):
    cfg = compose_cfg("benchmark=toy_rules", "rules=closed", "rules.enforce=false", "rules.mllog=true",
                      "benchmark.training.learning_rate=0.01", "benchmark.training.epochs=2", "seed=3")
    res = run_benchmark(cfg, tmp_path / "out")
    assert res.status == "FINISHED"
    tags = mlflow_client.get_run(res.run_id).data.tags
    assert tags["compliance.division"] == "closed" and tags["compliance.status"] == "non_compliant"
    assert tags["compliance.violations"] == "1" and tags["compliance.table_version"] == "2.1"
    report = json.loads(open(mlflow_client.download_artifacts(res.run_id, "config/compliance.json", str(tmp_path))).read())
    failed = [c for c in report["checks"] if c["ok"] is False]
    assert [c["key"] for c in failed] == ["benchmark.training.learning_rate"]
    assert {c["key"] for c in report["checks"]} >= {"benchmark.training.optimizer", "benchmark.training.epochs", "hardware"}

    from sciml_mlflow.rules.mllog import parse

    text = open(mlflow_client.download_artifacts(res.run_id, "mlperf/result.txt", str(tmp_path))).read()
    lines, errors = parse(text)
    assert errors == [] and text.startswith(":::MLLOG")
    keys = [ln.key for ln in lines]
    for key in ("submission_benchmark", "submission_division", "seed", "global_batch_size", "opt_base_learning_rate",
                "init_start", "run_start", "epoch_start", "epoch_stop", "eval_accuracy", "run_stop"):
        assert key in keys, key
    evals = [ln.value["value"] for ln in lines if ln.key == "eval_accuracy"]
    assert evals == pytest.approx([0.7, 0.9])
    stop = next(ln for ln in lines if ln.key == "run_stop")
    assert stop.value["metadata"]["status"] == "success"  # 0.9 >= target 0.8
    assert next(ln for ln in lines if ln.key == "seed").value["value"] == 3

    # open division, same store: never refused, deviations from the closed table recorded, no MLLOG by default
    cfg = compose_cfg("benchmark=toy_rules", "benchmark.training.optimizer=sgd", "benchmark.training.epochs=1")
    res = run_benchmark(cfg, tmp_path / "out2")
    tags = mlflow_client.get_run(res.run_id).data.tags
    assert tags["compliance.status"] == "open" and tags["compliance.deviations"] == "1"
    assert "mlperf" not in [a.path for a in mlflow_client.list_artifacts(res.run_id)]  # rules.mllog defaults off
