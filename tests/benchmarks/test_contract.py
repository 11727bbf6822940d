"""The contract every benchmark in the suite passes, through the real framework and a real MLflow store.

Both modes run at `tiny` scale; metrics must be present and finite, the model and outputs written, and
the card must be complete.  A new benchmark folder is picked up here with no edit.
"""

from __future__ import annotations

import math

import pytest
from omegaconf import OmegaConf

from sciml_mlflow.core import registry
from sciml_mlflow.run import run_benchmark

SUITE = sorted(registry.discover())


def _artifact_paths(client, run_id, path=""):
    out = []
    for item in client.list_artifacts(run_id, path):
        out += _artifact_paths(client, run_id, item.path) if item.is_dir else [item.path]
    return out


@pytest.mark.parametrize("name", SUITE)
def test_folder_has_the_contract_files(name: str):
    spec = registry.get(name)
    assert spec.defined_modes() == ["train", "inference"]
    assert (spec.path / "README.md").is_file()
    dataset = spec.load("dataset")
    assert callable(dataset.generate)
    assert {"tiny", "small", "full"} <= set(dataset.SCALES)


@pytest.mark.slow
@pytest.mark.parametrize("name", SUITE)
def test_train_then_inference_through_the_framework(name: str, compose_cfg, mlflow_client, tmp_path):
    cfg = compose_cfg(f"benchmark={name}")
    card = OmegaConf.to_container(cfg.benchmark, resolve=True)
    assert card["description"] and card["dataset"]["name"]

    train = run_benchmark(cfg, tmp_path / "train")
    run = mlflow_client.get_run(train.run_id)
    assert run.info.status == "FINISHED"
    metrics = run.data.metrics
    science = {k: v for k, v in metrics.items() if not k.startswith(("system/", "time/", "energy/"))}
    assert science, "a training run logs science metrics"
    assert all(math.isfinite(v) for v in science.values()), science
    assert any(k.startswith("train_throughput") for k in metrics), sorted(metrics)
    history = mlflow_client.get_metric_history(train.run_id, "val_loss") or mlflow_client.get_metric_history(
        train.run_id, "train_loss")
    assert len(history) >= 1 and [m.step for m in history] == sorted(m.step for m in history)
    arts = _artifact_paths(mlflow_client, train.run_id)
    assert any(a.startswith("model/") for a in arts), arts

    inf = run_benchmark(compose_cfg(f"benchmark={name}", "mode=inference"), tmp_path / "inference")
    irun = mlflow_client.get_run(inf.run_id)
    assert irun.info.status == "FINISHED" and irun.data.tags["training_run_id"] == train.run_id
    imetrics = {k: v for k, v in irun.data.metrics.items() if k.startswith("inference_")}
    assert any("throughput" in k for k in imetrics), imetrics
    assert all(math.isfinite(v) for v in imetrics.values()), imetrics
    assert any(a.startswith("outputs/") for a in _artifact_paths(mlflow_client, inf.run_id))
