"""One benchmark run = one MLflow run: identity, metrics, artifacts, terminal status."""

from __future__ import annotations

from pathlib import Path

import pytest

from sciml_mlflow.run import run_benchmark
from tests.machine import cpu_only
from tests.run_artifacts import artifact_paths
from sciml_mlflow.errors import ConfigError

TOY = '''
import torch

def train(ctx):
    with ctx.phase("training"):
        for epoch in ctx.progress(range(ctx.hparams.epochs), total=ctx.hparams.epochs):
            ctx.metrics.log("train_loss", 1.0 / (epoch + 1), step=epoch)
            ctx.metrics.log("val_accuracy", 0.5 + 0.1 * epoch, step=epoch)
    assert (ctx.data_dir / "values.txt").read_text().split() == ["1", "2", "3"]
    torch.save({"w": torch.full((2,), float(ctx.seed))}, ctx.model_dir / "model.pt")
    (ctx.artifacts_dir / "predictions.csv").write_text("id,label\\n0,1\\n")

def inference(ctx):
    state = torch.load(ctx.model_dir / "model.pt")
    ctx.metrics.log("inference_accuracy", float(state["w"][0]))
'''

FAILING = '''
def train(ctx):
    ctx.metrics.log("train_loss", 0.25, step=0)
    ctx.metrics.log("train_loss", 0.125, step=1)
    raise RuntimeError("diverged at epoch 2")
'''

INTERRUPTED = '''
def train(ctx):
    ctx.metrics.log("train_loss", 0.5, step=0)
    raise KeyboardInterrupt
'''



def test_train_then_inference_records_everything(make_benchmark, compose_cfg, mlflow_client, tmp_path):
    make_benchmark("toy_ok", TOY)
    cfg = compose_cfg("benchmark=toy_ok", "seed=7", "+tags.campaign=nov")
    train = run_benchmark(cfg, tmp_path / "train", overrides=["benchmark=toy_ok", "seed=7"])
    assert train.status == "FINISHED"

    run = mlflow_client.get_run(train.run_id)
    assert run.info.status == "FINISHED"
    exp = mlflow_client.get_experiment(run.info.experiment_id)
    assert exp.name == "toy_ok"
    assert exp.tags["mlflow.experimentKind"] == "custom_model_development"  # the UI shows it as model training
    p = run.data.params
    assert p["benchmark.name"] == "toy_ok" and p["seed"] == "7"
    assert p["benchmark.training.epochs"] == "2" and p["hardware.name"] == "cpu"
    t = run.data.tags
    for key in ("benchmark", "mode", "hardware", "hardware.detected", "git.commit", "git.dirty", "host",
                "version.python", "version.torch", "version.mlflow", "compliance.division"):
        assert t.get(key), key
    assert t["mode"] == "train" and t["campaign"] == "nov"
    hist = mlflow_client.get_metric_history(train.run_id, "train_loss")
    assert [(m.step, m.value) for m in hist] == [(0, 1.0), (1, 0.5)]
    assert run.data.metrics["system/time_total_s"] > 0
    arts = artifact_paths(mlflow_client, train.run_id)
    assert {"config/config.yaml", "config/overrides.yaml", "model/model.pt", "outputs/predictions.csv"} <= set(arts)

    inf = run_benchmark(compose_cfg("benchmark=toy_ok", "mode=inference"), tmp_path / "inf")
    irun = mlflow_client.get_run(inf.run_id)
    assert irun.info.status == "FINISHED" and irun.data.tags["mode"] == "inference"
    assert irun.data.tags["training_run_id"] == train.run_id
    assert irun.data.metrics["inference_accuracy"] == 7.0  # the seed-7 model was loaded


def test_inference_by_run_id(make_benchmark, compose_cfg, mlflow_client, tmp_path):
    make_benchmark("toy_byid", TOY)
    first = run_benchmark(compose_cfg("benchmark=toy_byid", "seed=3"), tmp_path / "a")
    run_benchmark(compose_cfg("benchmark=toy_byid", "seed=5"), tmp_path / "b")
    inf = run_benchmark(compose_cfg("benchmark=toy_byid", "mode=inference", f"model_uri={first.run_id}"), tmp_path / "c")
    assert mlflow_client.get_run(inf.run_id).data.metrics["inference_accuracy"] == 3.0


def test_inference_without_trained_model_is_refused_before_a_run(make_benchmark, compose_cfg, mlflow_client, tmp_path):
    make_benchmark("toy_untrained", TOY)
    with pytest.raises(ConfigError, match="no FINISHED training run"):
        run_benchmark(compose_cfg("benchmark=toy_untrained", "mode=inference"), tmp_path)
    exp = mlflow_client.get_experiment_by_name("toy_untrained")
    assert exp is None or not mlflow_client.search_runs([exp.experiment_id])


def test_crash_mid_run_ends_failed_with_traceback_and_partial_metrics(make_benchmark, compose_cfg, mlflow_client, tmp_path):
    make_benchmark("toy_fail", FAILING)
    with pytest.raises(RuntimeError, match="diverged"):
        run_benchmark(compose_cfg("benchmark=toy_fail"), tmp_path)
    (run,) = mlflow_client.search_runs([mlflow_client.get_experiment_by_name("toy_fail").experiment_id])
    assert run.info.status == "FAILED"
    assert [m.value for m in mlflow_client.get_metric_history(run.info.run_id, "train_loss")] == [0.25, 0.125]
    local = mlflow_client.download_artifacts(run.info.run_id, "error/traceback.txt", str(tmp_path))
    text = Path(local).read_text()
    assert "RuntimeError: diverged at epoch 2" in text and "benchmark.py" in text
    assert "diverged" in run.data.tags["error"]


def test_ctrl_c_ends_killed(make_benchmark, compose_cfg, mlflow_client, tmp_path):
    make_benchmark("toy_kill", INTERRUPTED)
    with pytest.raises(KeyboardInterrupt):
        run_benchmark(compose_cfg("benchmark=toy_kill"), tmp_path)
    (run,) = mlflow_client.search_runs([mlflow_client.get_experiment_by_name("toy_kill").experiment_id])
    assert run.info.status == "KILLED"
    assert run.data.metrics["train_loss"] == 0.5


@cpu_only
def test_hardware_mismatch_is_tagged_not_fatal_under_open_rules(make_benchmark, compose_cfg, mlflow_client, tmp_path, caplog):
    make_benchmark("toy_hw", TOY)
    res = run_benchmark(compose_cfg("benchmark=toy_hw", "hardware=a100"), tmp_path)
    tags = mlflow_client.get_run(res.run_id).data.tags
    assert tags["hardware"] == "a100" and tags["hardware.detected"] == "cpu"
    assert tags["hardware.mismatch"] == "true" and "a100" in tags["hardware.mismatch_reason"]
    assert "HARDWARE MISMATCH" in caplog.text


def test_long_values_go_to_an_artifact_and_secrets_are_masked(make_benchmark, compose_cfg, mlflow_client, tmp_path):
    make_benchmark("toy_params", TOY)
    long_text = "x" * 7000
    cfg = compose_cfg("benchmark=toy_params", f"+benchmark.options.note={long_text}",
                      "+benchmark.options.api_token=s3cr3t-value", "+tags.db_password=hunter2")
    res = run_benchmark(cfg, tmp_path, overrides=["+benchmark.options.api_token=s3cr3t-value"])
    run = mlflow_client.get_run(res.run_id)
    assert run.data.params["benchmark.options.note"].startswith("<7000 chars")
    local = Path(mlflow_client.download_artifacts(res.run_id, "config", str(tmp_path / "dl")))
    assert long_text in (local / "params_long.yaml").read_text()
    everything = str(run.data.params) + str(run.data.tags) + "".join(
        f.read_text() for f in local.iterdir() if f.is_file())
    assert "s3cr3t-value" not in everything and "hunter2" not in everything
    assert run.data.params["benchmark.options.api_token"] == "***"
