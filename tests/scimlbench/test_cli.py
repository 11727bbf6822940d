"""SciMLBench-style benchmarks run unmodified through ``python -m sciml_mlflow`` and land in MLflow.

Every test runs the real command in a subprocess against a private SQLite store and reads the result
back through MlflowClient (the benchmarks are in tests/fixtures/scimlbench_collection.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from tests.conftest import run_cli
from tests.run_artifacts import artifact_paths

FAST = ["progress=false", "hardware.telemetry.interval_s=1"]



def _text(client, run_id, path, tmp_path):
    dest = tmp_path / "downloads" / run_id
    dest.mkdir(parents=True, exist_ok=True)
    return Path(client.download_artifacts(run_id, path, str(dest))).read_text()


def _only_run(client, experiment):
    exp = client.get_experiment_by_name(experiment)
    assert exp is not None, f"no experiment {experiment}"
    runs = client.search_runs([exp.experiment_id])
    assert len(runs) == 1, [r.info.status for r in runs]
    return runs[0]


def _history(client, run_id, name):
    return [(m.step, m.value) for m in sorted(client.get_metric_history(run_id, name), key=lambda m: m.step)]


def test_training_only_benchmark_becomes_a_complete_run(scimlbench_collection, mlflow_client, tmp_path):
    data = scimlbench_collection / "data"
    out = run_cli(["benchmark=sb_train_only", f"benchmark.dataset.root={data}", *FAST], cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    run = _only_run(mlflow_client, "sb_train_only")
    rid, m = run.info.run_id, run.data.metrics
    assert run.info.status == "FINISHED"
    # numbers in metrics.yml: flat -> metric, list -> per-step history; bools and strings are not metrics
    assert m["metrics/accuracy"] == 0.875 and m["metrics/loss"] == 0.25
    assert _history(mlflow_client, rid, "metrics/loss_history") == [(0, 1.0), (1, 0.5), (2, 1 / 3), (3, 0.25)]
    assert "metrics/use_gpu" not in m and "metrics/note" not in m
    # begin/ended and subproc -> phase timings; the sleep inside "Training the model" is measured
    assert m["system/time_training_the_model_s"] >= 0.05
    assert m["system/time_running_benchmark_sb_train_only_on_training_mode_s"] >= m["system/time_training_the_model_s"]
    # everything written to output_dir is an artifact; the model file is also the run's model
    arts = set(artifact_paths(mlflow_client, rid))
    assert {"outputs/metrics.yml", "outputs/notes.txt", "outputs/sb_train_only_model.npy",
            "outputs/sciml_bench_run_logs/console.log", "model/sb_train_only_model.npy"} <= arts
    assert _text(mlflow_client, rid, "outputs/notes.txt", tmp_path) == "mode=training\n"
    console = _text(mlflow_client, rid, "outputs/sciml_bench_run_logs/console.log", tmp_path)
    assert "<BEGIN> Running benchmark sb_train_only on training mode" in console
    assert "....<ENDED> Training the model [ELAPSED = " in console
    # the usual run record: dataset, system metrics, fingerprint, compliance tags, params
    assert run.data.params["benchmark.dataset.root"] == str(data)
    assert run.data.tags["dataset.path"] == str(data)
    assert run.data.tags["benchmark"] == "sb_train_only" and run.data.tags["mode"] == "train"
    assert run.data.tags["compliance.division"] == "open" and run.data.tags["compliance.status"]
    assert run.data.tags["hw.cpu_cores"] and run.data.tags["version.sciml_mlflow"]
    assert any(k.startswith("system/") for k in m)
    assert "hardware/fingerprint.json" in arts


def test_a_mode_the_benchmark_lacks_fails_before_any_run(scimlbench_collection, mlflow_client, tmp_path):
    out = run_cli(["benchmark=sb_train_only", "mode=inference", *FAST], cwd=tmp_path)
    assert out.returncode == 2
    err = out.stderr + out.stdout
    assert "sb_train_only" in err and "'inference'" in err and "sciml_bench_inference" in err and "train" in err
    assert mlflow_client.get_experiment_by_name("sb_train_only") is None  # nothing was started


def test_both_modes_train_then_inference_uses_the_trained_model(scimlbench_collection, mlflow_client, tmp_path):
    data = scimlbench_collection / "data"
    train = run_cli(["benchmark=sb_both", f"benchmark.dataset.root={data}", *FAST], cwd=tmp_path)
    assert train.returncode == 0, train.stderr[-3000:]
    infer = run_cli(["benchmark=sb_both", "mode=inference", f"benchmark.dataset.root={data}", *FAST], cwd=tmp_path)
    assert infer.returncode == 0, infer.stderr[-3000:]
    exp = mlflow_client.get_experiment_by_name("sb_both")
    runs = {r.data.tags["mode"]: r for r in mlflow_client.search_runs([exp.experiment_id])}
    tr, inf = runs["train"], runs["inference"]
    assert tr.info.status == inf.info.status == "FINISHED"
    # a list of per-epoch records in a JSON file -> one history per key
    assert _history(mlflow_client, tr.info.run_id, "history/epoch_loss") == [(0, 0.5), (1, 0.25)]
    assert "model/sb_both_model.npy" in artifact_paths(mlflow_client, tr.info.run_id)
    # inference read params_in.model (the training run's model file) and scored it
    assert abs(inf.data.metrics["metrics/slope"] - 3.0) < 1e-9 and inf.data.metrics["metrics/items"] == 16
    assert inf.data.tags["training_run_id"] == tr.info.run_id
    console = _text(mlflow_client, inf.info.run_id, "outputs/sciml_bench_run_logs/console.log", tmp_path)
    assert "<MESSG> model file: sb_both_model.npy" in console
    assert "system/time_loading_the_model_s" in inf.data.metrics


def test_a_raising_benchmark_ends_failed_with_traceback_and_partial_results(scimlbench_collection, mlflow_client,
                                                                           tmp_path):
    data = scimlbench_collection / "data"
    out = run_cli(["benchmark=sb_raises", f"benchmark.dataset.root={data}", *FAST], cwd=tmp_path)
    assert out.returncode != 0
    run = _only_run(mlflow_client, "sb_raises")
    assert run.info.status == "FAILED"
    assert "loss diverged at epoch 3" in run.data.tags["error"]
    tb = _text(mlflow_client, run.info.run_id, "error/traceback.txt", tmp_path)
    assert "RuntimeError: loss diverged at epoch 3" in tb and "sb_raises.py" in tb
    # partial results are kept: the result file written before the error, and the timings of open procs
    assert run.data.metrics["partial/epochs_done"] == 2
    assert "system/time_epoch_3_s" in run.data.metrics
    assert "system/time_running_benchmark_sb_raises_on_training_mode_s" in run.data.metrics


def test_subproc_and_stamp_event_become_phases_and_timestamped_events(scimlbench_collection, mlflow_client,
                                                                      tmp_path):
    data = scimlbench_collection / "data"
    out = run_cli(["benchmark=sb_events", f"benchmark.dataset.root={data}", *FAST], cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    run = _only_run(mlflow_client, "sb_events")
    rid, m = run.info.run_id, run.data.metrics
    # a proc entered three times accumulates; the same name opened twice at once is timed once
    assert m["system/time_epoch_s"] >= 3 * 0.02
    assert m["system/time_loading_data_s"] >= 0.05
    top = m["system/time_running_benchmark_sb_events_on_training_mode_s"]
    assert m["system/time_epoch_s"] + m["system/time_loading_data_s"] <= top < 30
    # stamp_event -> metric system/event_<name>, one step per repeat, value = seconds since the entry started,
    # MLflow timestamps in order
    hist = sorted(mlflow_client.get_metric_history(rid, "system/event_epoch_start"), key=lambda x: x.step)
    assert [h.step for h in hist] == [0, 1, 2]
    assert hist[0].value < hist[1].value < hist[2].value
    assert hist[0].timestamp <= hist[1].timestamp <= hist[2].timestamp
    assert m["system/event_done"] >= hist[2].value
    events = yaml.safe_load(_text(mlflow_client, rid, "outputs/sciml_bench_run_logs/events.yaml", tmp_path))
    assert [e["event"] for e in events] == ["epoch start"] * 3 + ["done"]
    assert events[0]["open_procs"] == ["running_benchmark_sb_events_on_training_mode", "epoch"]
    console = _text(mlflow_client, rid, "outputs/sciml_bench_run_logs/console.log", tmp_path)
    assert "<MESSG> first line" in console and "second line" in console
    assert "device-only note" not in console
    device = _text(mlflow_client, rid, "outputs/sciml_bench_run_logs/device0.log", tmp_path)
    assert "device-only note" in device and "<BEGIN> Loading data" in device


def test_bench_args_from_command_line_and_card_with_defaults(scimlbench_collection, mlflow_client, tmp_path):
    out = run_cli(["benchmark=sb_args", "benchmark.bench_args.epochs=7", "benchmark.bench_args.use_gpu=false",
                   "benchmark.bench_args.tag=run-a", *FAST], cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    run = _only_run(mlflow_client, "sb_args")
    used = json.loads(_text(mlflow_client, run.info.run_id, "outputs/args_used.json", tmp_path))
    assert used["epochs"] == 7 and used["use_gpu"] is False and used["tag"] == "run-a"  # command line
    assert used["batch_size"] == 64  # the card's default
    assert used["lr"] == 0.01 and used["depth"] == 3  # the benchmark's own defaults
    assert used["raw_epochs"] == "7"  # SciMLBench hands bench args over as strings
    assert used["data_files"] == ["samples.txt"]  # the card's dataset, generated and staged as for native ones
    p = run.data.params
    assert p["benchmark.bench_args.epochs"] == "7" and p["benchmark.bench_args.batch_size"] == "64"
    assert run.data.tags["dataset.name"] == "sb_args_data" and run.data.tags.get("dataset.digest")
    assert run.data.metrics["args_used/epochs"] == 7  # numbers in the JSON it wrote are metrics too
