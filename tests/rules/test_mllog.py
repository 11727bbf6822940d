"""The MLLOG log's timing facts on toy runs through the real runner: a benchmark that times its validation
as a phase gets real eval_start/eval_stop intervals; the log stops at the evaluation that reached the target
(later epochs are not part of the timed run); a failed run's log ends aborted."""

from __future__ import annotations

import pytest

from sciml_mlflow.run import run_benchmark
from sciml_mlflow.rules.mllog import parse

TOY = '''
import time

def train(ctx):
    ctx.metrics.log_dict({"train_samples": 8, "val_samples": 2})
    t0 = time.perf_counter()
    for epoch, acc in enumerate([0.5, 0.85, 0.9, 0.95], start=1):
        time.sleep(0.05)
        with ctx.phase("validation"):
            time.sleep(0.12)
        ctx.metrics.log_dict({"val_accuracy": acc, "epoch_elapsed_s": time.perf_counter() - t0}, step=epoch)
        if epoch == ctx.options.get("fail_at"):
            raise RuntimeError("boom")
'''


def _lines(client, run_id, tmp_path):
    text = open(client.download_artifacts(run_id, "mlperf/result.txt", str(tmp_path / run_id))).read()
    lines, errors = parse(text)
    assert errors == []
    return lines


def test_eval_blocks_from_the_validation_phase_and_stop_at_target(make_benchmark, compose_cfg, mlflow_client, tmp_path):
    make_benchmark("toy_mllog", TOY, card="target: {metric: val_accuracy, value: 0.8, mode: max}\n")
    res = run_benchmark(compose_cfg("benchmark=toy_mllog", "rules.mllog=true", "benchmark.training.epochs=4"),
                        tmp_path / "out")
    lines = _lines(mlflow_client, res.run_id, tmp_path)
    starts = [ln for ln in lines if ln.key == "eval_start"]
    stops = [ln for ln in lines if ln.key == "eval_stop"]
    evals = [ln for ln in lines if ln.key == "eval_accuracy"]
    assert [ln.value["metadata"]["epoch_num"] for ln in evals] == [1, 2]  # target 0.8 first reached at epoch 2
    assert [ln.value["value"] for ln in evals] == pytest.approx([0.5, 0.85])
    for a, b, e in zip(starts, stops, evals):
        assert 100 <= b.timestamp - a.timestamp <= 1000  # the 0.12 s validation, not a zero-length block
        assert b.timestamp == e.timestamp  # the evaluation ends when its metric row is logged
    run_stop = next(ln for ln in lines if ln.key == "run_stop")
    assert run_stop.value["metadata"]["status"] == "success" and run_stop.timestamp == evals[-1].timestamp
    assert lines[-1].key == "run_stop"
    m = mlflow_client.get_run(res.run_id).data.metrics
    run_start = next(ln for ln in lines if ln.key == "run_start").timestamp
    assert m["time_to_target_s"] == pytest.approx((run_stop.timestamp - run_start) / 1000.0, abs=1e-9)


def test_failed_run_log_ends_aborted(make_benchmark, compose_cfg, mlflow_client, tmp_path):
    make_benchmark("toy_mllog_fail", TOY, card="target: {metric: val_accuracy, value: 0.99, mode: max}\n")
    with pytest.raises(RuntimeError, match="boom"):
        run_benchmark(compose_cfg("benchmark=toy_mllog_fail", "rules.mllog=true", "+benchmark.options.fail_at=2"),
                      tmp_path / "out")
    (run,) = mlflow_client.search_runs([mlflow_client.get_experiment_by_name("toy_mllog_fail").experiment_id])
    assert run.info.status == "FAILED"
    lines = _lines(mlflow_client, run.info.run_id, tmp_path)
    assert next(ln for ln in lines if ln.key == "run_stop").value["metadata"]["status"] == "aborted"
    assert len([ln for ln in lines if ln.key == "eval_accuracy"]) == 2
    assert "time_to_target_s" not in run.data.metrics
