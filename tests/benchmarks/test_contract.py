"""The contract every benchmark in the suite passes, through the real framework and a real MLflow store.

Both modes run at `tiny` scale; metrics must be present and finite, the model and outputs written, and
the card must be complete.  A new benchmark folder is picked up here with no edit.
"""

from __future__ import annotations

import math

import mlflow
import mlflow.pytorch
import numpy as np
import pytest
import torch
from mlflow.models import Model
from omegaconf import OmegaConf

from sciml_mlflow.core import registry
from sciml_mlflow.run import run_benchmark
from tests.run_artifacts import artifact_paths

SUITE = sorted(registry.discover())



@pytest.mark.parametrize("name", SUITE)
def test_folder_has_the_contract_files(name: str):
    spec = registry.get(name)
    assert spec.defined_modes() == ["train", "inference"], (
        f"{spec.path}/benchmark.py must define both train(ctx) and inference(ctx); it defines {spec.defined_modes()}")
    assert (spec.path / "README.md").is_file(), f"add {spec.path}/README.md: what the task is, data, quality bar"
    dataset = spec.load("dataset")
    assert callable(getattr(dataset, "generate", None)), (
        f"{spec.path}/dataset.py must define generate(root, scale, seed) writing the dataset's real layout")
    missing = {"tiny", "small", "full"} - set(getattr(dataset, "SCALES", {}))
    assert not missing, f"{spec.path}/dataset.py SCALES lacks {sorted(missing)}; tests run tiny, the default is small"


@pytest.mark.slow
@pytest.mark.parametrize("name", SUITE)
def test_train_then_inference_through_the_framework(name: str, compose_cfg, mlflow_client, tmp_path):
    # two epochs: the contract is the plumbing (what is logged, saved and loaded), not the card's quality bar,
    # which each benchmark's own tests and README measure
    cfg = compose_cfg(f"benchmark={name}", "benchmark.training.epochs=2")
    card = OmegaConf.to_container(cfg.benchmark, resolve=True)
    assert card["description"] and card["dataset"]["name"], (
        f"conf/benchmark/{name}.yaml needs a description and dataset.name")

    train = run_benchmark(cfg, tmp_path / "train")
    run = mlflow_client.get_run(train.run_id)
    assert run.info.status == "FINISHED", f"train run ended {run.info.status}: see its error/traceback.txt artifact"
    metrics = run.data.metrics
    science = {k: v for k, v in metrics.items() if not k.startswith("system/")}
    assert science, "train(ctx) logs no science metric: log scores through ctx.metrics (training.fit logs losses)"
    bad = {k: v for k, v in science.items() if not math.isfinite(v)}
    assert not bad, f"train(ctx) logged non-finite metrics {bad}: check the loss and scores on tiny data"
    assert any(k.startswith("train_throughput") for k in metrics), (
        f"no train_throughput_* metric: train with sciml_mlflow.training.fit, which logs it; logged {sorted(metrics)}")
    history = mlflow_client.get_metric_history(train.run_id, "val_loss") or mlflow_client.get_metric_history(
        train.run_id, "train_loss")
    assert len(history) >= 1, "no val_loss/train_loss per epoch: return val_loss from evaluate, or use training.fit"
    assert [m.step for m in history] == sorted(m.step for m in history), "per-epoch metrics must use step=epoch"
    decl = cfg.benchmark.get("flops")
    if decl is not None:  # the card's declaration times the loop's throughput (tests/benchmarks/test_flops.py checks it)
        assert metrics["model_flops_per_sample"] == pytest.approx(decl.train), "the card's flops.train is logged"
        assert metrics["achieved_flops_per_s"] == pytest.approx(decl.train * metrics["train_throughput_samples_per_s"])
    arts = artifact_paths(mlflow_client, train.run_id)
    assert any(a.startswith("model/") for a in arts), f"train(ctx) wrote nothing to ctx.model_dir; artifacts: {arts}"
    logged = [m for m in mlflow_client.search_logged_models([run.info.experiment_id]) if m.source_run_id == train.run_id]
    assert [m.name for m in logged] == ["model"], "train(ctx) must hand its module to ctx.log_model(net, example)"
    local = mlflow.artifacts.download_artifacts(f"runs:/{train.run_id}/model", dst_path=str(tmp_path / "dl"))
    mlmodel = Model.load(local)
    assert mlmodel.signature is not None and mlmodel.saved_input_example_info, "the MLflow model lacks signature/example"
    module = mlflow.pytorch.load_model(f"runs:/{train.run_id}/model")
    example = torch.as_tensor(np.asarray(mlmodel.load_input_example(local), dtype=np.float32))
    with torch.no_grad():
        assert module(example).shape[0] == example.shape[0] == 1

    inf = run_benchmark(compose_cfg(f"benchmark={name}", "mode=inference"), tmp_path / "inference")
    irun = mlflow_client.get_run(inf.run_id)
    assert irun.info.status == "FINISHED", f"inference run ended {irun.info.status}: see error/traceback.txt"
    assert irun.data.tags["training_run_id"] == train.run_id, "inference must use the model the train run saved"
    assert irun.data.tags["model.loaded_with"] == "mlflow.pytorch", "inference(ctx) must use ctx.load_model()"
    imetrics = {k: v for k, v in irun.data.metrics.items() if k.startswith("inference_")}
    assert any("throughput" in k for k in imetrics), (
        f"inference(ctx) logs no inference_*throughput* metric: use sciml_mlflow.training.infer; logged {imetrics}")
    bad = {k: v for k, v in imetrics.items() if not math.isfinite(v)}
    assert not bad, f"inference(ctx) logged non-finite metrics {bad}"
    if decl is not None:
        assert decl.inference_rate in imetrics, (
            f"flops.inference_rate names {decl.inference_rate}, which inference(ctx) does not log; logged {sorted(imetrics)}")
        assert irun.data.metrics["achieved_flops_per_s"] == pytest.approx(decl.inference * imetrics[decl.inference_rate])
    assert any(a.startswith("outputs/") for a in artifact_paths(mlflow_client, inf.run_id)), (
        "inference(ctx) wrote no outputs: write predictions under ctx.artifacts_dir")
