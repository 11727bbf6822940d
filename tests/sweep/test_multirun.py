"""Multirun through the real command line: parent sweep run, job tags, failure handling, launchers.

Each test is one ``python -m sciml_mlflow -m ...`` process running toy benchmarks (< 1 s each); the
cost is process start-up (mlflow + torch imports), so the tests are few and each checks a lot.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from tests.conftest import run_cli

pytestmark = pytest.mark.slow
COMMON = ["benchmark=toy_sweep", "hardware=cpu", "progress=false"]


def _runs(client, sweep_id=None):
    exps = [e.experiment_id for e in client.search_experiments()]
    runs = client.search_runs(exps, max_results=1000)
    return [r for r in runs if sweep_id is None or r.data.tags.get("sweep.id") == sweep_id]


def _parent(runs):
    parents = [r for r in runs if r.data.tags.get("sweep.role") == "parent"]
    assert len(parents) == 1, [r.data.tags for r in runs]
    return parents[0]


def test_basic_sweep_with_a_failing_job_keeps_the_others_and_closes_the_parent_failed(toy_collection, tmp_path,
                                                                                       mlflow_client, monkeypatch):
    # An inherited MLFLOW_RUN_ID must not swallow the jobs: it becomes the sweep's parent instead.
    outer = mlflow_client.create_run(mlflow_client.create_experiment("outer")).info.run_id
    proc = run_cli(["-m", *COMMON, "seed=1,2,3", "benchmark.options.fail_seed=2",
                    f"hydra.sweep.dir={tmp_path / 'sweep'}"], env={"MLFLOW_RUN_ID": outer}, timeout=300)
    assert proc.returncode != 0, proc.stdout + proc.stderr  # a failed job fails the command
    runs = _runs(mlflow_client)
    parent = _parent(runs)
    sweep_id = parent.data.tags["sweep.id"]
    assert parent.info.status == "FAILED"  # Hydra skipped on_multirun_end; the CLI closed it
    assert parent.data.tags["mlflow.parentRunId"] == outer
    assert mlflow_client.get_run(outer).info.status == "RUNNING"  # not resumed by a job
    jobs = sorted((r for r in runs if r.data.tags.get("sweep.id") == sweep_id and r is not parent),
                  key=lambda r: int(r.data.tags["sweep.job"]))
    assert [r.data.tags["sweep.job"] for r in jobs] == ["0", "1", "2"]
    assert [r.info.status for r in jobs] == ["FINISHED", "FAILED", "FINISHED"]
    for r, seed in zip(jobs, (1, 2, 3)):
        assert r.data.tags["mlflow.parentRunId"] == parent.info.run_id
        assert f"seed={seed}" in r.data.tags["sweep.overrides"]
    assert jobs[0].data.metrics["val_accuracy"] == pytest.approx(0.51)
    out = proc.stdout
    assert f"sweep {sweep_id}: FAILED" in out
    assert "planned failure for seed 2" in out
    assert parent.data.metrics["system/sweep_jobs_failed"] == 1.0


@pytest.mark.skipif(importlib.util.find_spec("hydra_plugins.hydra_joblib_launcher") is None,
                    reason="hydra-joblib-launcher not installed (pip install .[sweep])")
def test_joblib_four_concurrent_jobs_on_a_fresh_store_lose_nothing(toy_collection, tmp_path, sciml_home):
    assert not (sciml_home / "mlflow.db").exists()  # fresh: the first use races without the init + lock
    proc = run_cli(["-m", *COMMON, "hydra/launcher=parallel", "hydra.launcher.n_jobs=4", "seed=1,2,3,4",
                    "benchmark.options.sleep_s=0.5", f"hydra.sweep.dir={tmp_path / 'sweep'}"], timeout=400)
    text = proc.stdout + proc.stderr
    assert proc.returncode == 0, text[-4000:]
    assert "database is locked" not in text
    from mlflow.tracking import MlflowClient

    runs = _runs(MlflowClient(tracking_uri=f"sqlite:///{sciml_home}/mlflow.db"))
    parent = _parent(runs)
    assert parent.info.status == "FINISHED"
    jobs = [r for r in runs if r is not parent and r.data.tags.get("sweep.id") == parent.data.tags["sweep.id"]]
    assert sorted(int(r.data.tags["sweep.job"]) for r in jobs) == [0, 1, 2, 3]
    assert {r.info.status for r in jobs} == {"FINISHED"}
    assert all("val_accuracy" in r.data.metrics for r in jobs)
    assert len({r.data.tags["seed"] for r in jobs}) == 4
    assert "FINISHED" in proc.stdout and parent.data.tags["sweep.id"] in proc.stdout


@pytest.mark.skipif(importlib.util.find_spec("hydra_plugins.hydra_submitit_launcher") is None,
                    reason="hydra-submitit-launcher not installed (pip install .[sweep])")
def test_submitit_local_path_produces_grouped_runs(toy_collection, tmp_path, mlflow_client):
    proc = run_cli(["-m", *COMMON, "hydra/launcher=slurm_local", "seed=5,6", "hydra.launcher.timeout_min=5",
                    f"hydra.sweep.dir={tmp_path / 'sweep'}"], timeout=400)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    runs = _runs(mlflow_client)
    parent = _parent(runs)
    assert parent.info.status == "FINISHED"
    jobs = [r for r in runs if r is not parent]
    assert sorted(r.data.tags["seed"] for r in jobs) == ["5", "6"]
    assert all(r.data.tags["mlflow.parentRunId"] == parent.info.run_id for r in jobs)
    assert list(Path(tmp_path / "sweep").glob(".submitit/*")), "submitit did not run the jobs"
