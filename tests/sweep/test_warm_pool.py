"""``hydra/launcher=warm``: jobs in worker processes forked from a server that preloaded torch and MLflow."""

from __future__ import annotations

import re

import pytest

from tests.conftest import run_cli

pytestmark = pytest.mark.slow


def test_warm_workers_run_the_jobs_grouped_and_a_failure_stays_its_own(toy_collection, tmp_path, mlflow_client):
    proc = run_cli(["-m", "benchmark=toy_sweep", "hardware=cpu", "progress=false", "hydra/launcher=warm",
                    "seed=1,2,3", "benchmark.options.fail_seed=2", f"hydra.sweep.dir={tmp_path / 'sweep'}"], timeout=400)
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0, text[-3000:]  # a failed job fails the command, the others still ran
    exps = [e.experiment_id for e in mlflow_client.search_experiments()]
    runs = mlflow_client.search_runs(exps)
    parent = [r for r in runs if r.data.tags.get("sweep.role") == "parent"]
    assert len(parent) == 1 and parent[0].info.status == "FAILED", text[-3000:]
    jobs = sorted((r for r in runs if r not in parent), key=lambda r: int(r.data.tags["sweep.job"]))
    assert [r.info.status for r in jobs] == ["FINISHED", "FAILED", "FINISHED"]
    assert all(r.data.tags["mlflow.parentRunId"] == parent[0].info.run_id for r in jobs)
    assert "planned failure for seed 2" in text
    ran = re.findall(r"job (\d) ran in worker (\d+) \(forked from (\d+)\) with torch and mlflow preloaded: (\w+)", text)
    assert sorted(j for j, *_ in ran) == ["0", "1", "2"], text[-3000:]
    assert {warm for *_, warm in ran} == {"True"}  # no worker imported torch or MLflow itself
    servers = {server for _, _, server, _ in ran}
    launcher = re.search(r"launcher pid (\d+)", text).group(1)
    assert len(servers) == 1 and launcher not in servers  # one fork server; workers are not forks of the launcher
    assert len({worker for _, worker, _, _ in ran}) <= 2  # n_jobs=2 workers, reused across jobs
    # the server's imports overlap the parent run's opening (Hydra sets the launcher up only after it)
    started, opened = text.find("warm pool: fork server started"), text.find(": parent run ")
    assert -1 < started < opened, text[:3000]
