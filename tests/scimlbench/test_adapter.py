"""The adapter called directly with a hand-made RunContext (no MLflow): params in, records out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sciml_mlflow.core.context import HardwareProfile, Hyperparameters, RunContext
from sciml_mlflow.telemetry.phases import PhaseTimer
from sciml_mlflow.scimlbench.adapter import model_files, run_entry, trained_model
from tests.metric_sink import RecordingSink


def _ctx(tmp_path: Path, mode: str = "train", bench_args=None, options=None) -> RunContext:
    sink = RecordingSink()
    (tmp_path / "data").mkdir(exist_ok=True)
    (tmp_path / "model").mkdir(exist_ok=True)
    return RunContext(
        benchmark="sb", mode=mode, data_dir=tmp_path / "data", output_dir=tmp_path / "out", model_dir=tmp_path / "model",
        device="cpu", seed=1, scale="tiny", model="reference",
        hparams=Hyperparameters(1, 1, 0.1, 0.0, "sgd", 0, 0.1),
        hardware=HardwareProfile("cpu", "cpu", 1, 1, "fp32", {}, None, 0), metrics=sink,
        options=options or {}, phases=PhaseTimer(sink), bench_args=bench_args or {},
    )


def test_params_in_fields_and_train_side_effects(tmp_path):
    seen = {}

    def training(params_in, params_out):
        seen.update(dataset_dir=params_in.dataset_dir, output_dir=params_in.output_dir,
                    mode=params_in.execution_mode, model=params_in.model, epochs=params_in.bench_args.try_get("epochs", 1))
        (params_in.output_dir / "net_model.pt").write_bytes(b"w")
        (params_in.output_dir / "scores.json").write_text(json.dumps({"r2": 0.75}))

    ctx = _ctx(tmp_path, bench_args={"epochs": 4})
    run_entry(training, "train", ctx)
    assert seen == {"dataset_dir": tmp_path / "data", "output_dir": ctx.artifacts_dir, "mode": "training",
                    "model": None, "epochs": 4}
    assert ctx.metrics.metrics["scores/r2"] == [(0, 0.75)]
    assert (tmp_path / "model" / "net_model.pt").read_bytes() == b"w"


def test_a_raise_still_logs_partial_results_and_closes_procs(tmp_path):
    def training(params_in, params_out):
        (params_in.output_dir / "partial.yml").write_text("done: 1\n")
        params_out.log.console.begin("Work")
        raise RuntimeError("boom")

    ctx = _ctx(tmp_path)
    with pytest.raises(RuntimeError, match="boom"):
        run_entry(training, "train", ctx)
    assert ctx.metrics.metrics["partial/done"] == [(0, 1.0)]
    assert "system/time_work_s" in ctx.metrics.metrics


def test_inference_gets_the_model_file(tmp_path):
    ctx = _ctx(tmp_path, mode="inference")
    (tmp_path / "model" / "x_model.h5").write_bytes(b"m")
    got = {}
    run_entry(lambda p_in, p_out: got.update(model=p_in.model, mode=p_in.execution_mode), "inference", ctx)
    assert got == {"model": tmp_path / "model" / "x_model.h5", "mode": "inference"}


def test_model_file_choice(tmp_path):
    assert trained_model(tmp_path / "absent", ["*model*"]) is None
    (tmp_path / "a_model.pt").write_bytes(b"1")
    (tmp_path / "b_model.yml").write_text("x: 1\n")  # result files are never models
    (tmp_path / "weights.bin").write_bytes(b"2")
    assert model_files(tmp_path, ["*model*"]) == [tmp_path / "a_model.pt"]
    assert trained_model(tmp_path, ["*model*"]) == tmp_path / "a_model.pt"
    assert trained_model(tmp_path, ["*.bin", "*.pt"]) == tmp_path  # several match: the folder itself


def test_model_files_option_names_them(tmp_path):
    def training(params_in, params_out):
        (params_in.output_dir / "weights.bin").write_bytes(b"w")

    ctx = _ctx(tmp_path, options={"model_files": "*.bin"})
    run_entry(training, "train", ctx)
    assert (tmp_path / "model" / "weights.bin").is_file()
