"""Runs against a real shared tracking server: PostgreSQL backend, moto S3 artifacts, optional basic auth.

Everything a run records is read back through the server, and the artifacts are checked where they
really land (the S3 bucket), while the test process holds no AWS credentials at all.
"""

from __future__ import annotations

import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from sciml_mlflow.run import run_benchmark
from sciml_mlflow.errors import TrackingError
from tests.run_artifacts import artifact_paths

TOY = '''
import torch

def train(ctx):
    for epoch in range(ctx.hparams.epochs):
        ctx.metrics.log("train_loss", 1.0 / (epoch + 1), step=epoch)
    torch.save({"w": torch.full((2,), float(ctx.seed))}, ctx.model_dir / "model.pt")
    (ctx.artifacts_dir / "predictions.csv").write_text("id,label\\n0,1\\n")
'''



@pytest.fixture()
def no_client_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Clients of a --serve-artifacts server need no S3 credentials: prove it by having none."""
    import os

    for key in list(os.environ):
        if key.startswith(("AWS_", "MLFLOW_S3_", "MLFLOW_TRACKING_")):
            monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.mark.services
def test_sweep_on_the_server_is_read_back_whole(mlflow_server, make_benchmark, compose_cfg, monkeypatch,
                                                tmp_path, no_client_credentials) -> None:
    from mlflow.tracking import MlflowClient

    make_benchmark("toy_srv", TOY)
    mlflow_server.login(monkeypatch)
    prefix = f"sweep-{secrets.token_hex(3)}"
    results = [
        run_benchmark(compose_cfg("benchmark=toy_srv", "tracking=server", f"tracking.experiment_prefix={prefix}",
                                  f"seed={seed}"), tmp_path / f"job{seed}", overrides=[f"seed={seed}"])
        for seed in (1, 2)
    ]
    assert all(r.tracking_uri == mlflow_server.url for r in results)

    client = MlflowClient(tracking_uri=mlflow_server.url)
    exp = client.get_experiment_by_name(f"{prefix}/toy_srv")
    assert exp.artifact_location.startswith("mlflow-artifacts:")  # proxied: the server decides
    runs = client.search_runs([exp.experiment_id], order_by=["params.seed ASC"])
    assert [r.data.params["seed"] for r in runs] == ["1", "2"]
    s3 = mlflow_server.s3.client()
    for seed, run in zip((1, 2), runs):
        assert run.info.status == "FINISHED" and run.info.end_time
        assert run.data.params["benchmark.name"] == "toy_srv"
        assert run.data.params["tracking.uri"] == mlflow_server.url
        assert run.data.tags["benchmark"] == "toy_srv" and run.data.tags["seed"] == str(seed)
        assert run.data.tags["mode"] == "train" and run.data.tags.get("git.commit")
        hist = client.get_metric_history(run.info.run_id, "train_loss")
        assert [(m.step, m.value) for m in hist] == [(0, 1.0), (1, 0.5)]
        assert run.data.metrics["system/time_total_s"] > 0
        arts = set(artifact_paths(client, run.info.run_id))
        assert {"config/config.yaml", "model/model.pt", "outputs/predictions.csv"} <= arts
        # ... and they really are in the bucket, under the server's artifacts destination
        keys = {o["Key"] for o in s3.list_objects_v2(Bucket=mlflow_server.bucket,
                                                     Prefix=f"{mlflow_server.prefix}/").get("Contents", [])}
        for art in ("config/config.yaml", "model/model.pt", "outputs/predictions.csv"):
            assert any(k.endswith(f"{run.info.run_id}/artifacts/{art}") for k in keys), art
        local = Path(client.download_artifacts(run.info.run_id, "outputs/predictions.csv", str(tmp_path)))
        assert local.read_text() == "id,label\n0,1\n"


def test_unreachable_server_fails_fast_and_clearly(make_benchmark, compose_cfg, monkeypatch) -> None:
    from tests.fixtures.postgres import free_port

    make_benchmark("toy_down", TOY)
    monkeypatch.setenv("SCIML_TRACKING_URI", f"http://127.0.0.1:{free_port()}")
    cfg = compose_cfg("benchmark=toy_down", "tracking=server")
    t0 = time.monotonic()
    with pytest.raises(TrackingError, match=r"no tracking server answers at http://127\.0\.0\.1:\d+.*server start"):
        run_benchmark(cfg)
    assert time.monotonic() - t0 < 10


@pytest.mark.services
def test_basic_auth_refuses_strangers_and_keeps_the_password_out(mlflow_server, make_benchmark, compose_cfg,
                                                                 monkeypatch, tmp_path, no_client_credentials) -> None:
    import psutil
    from mlflow.tracking import MlflowClient

    from sciml_mlflow.server import process
    from sciml_mlflow.tracking.store import connect

    srv = mlflow_server
    url = f"{srv.url}/api/2.0/mlflow/experiments/search?max_results=1"
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(url, timeout=10)
    assert refused.value.code == 401
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", srv.admin_user)
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", "wrong-password-123")
    with pytest.raises(TrackingError, match="MLFLOW_TRACKING_USERNAME"):
        connect(srv.url)

    make_benchmark("toy_auth", TOY)
    srv.login(monkeypatch)
    result = run_benchmark(compose_cfg("benchmark=toy_auth", "tracking=server"), tmp_path / "run")
    client = MlflowClient(tracking_uri=srv.url)
    run = client.get_run(result.run_id)
    assert run.info.status == "FINISHED" and run.data.params["benchmark.name"] == "toy_auth"

    pw = srv.admin_password
    assert pw not in repr(run.data.params) and pw not in repr(run.data.tags)
    dest = Path(client.download_artifacts(result.run_id, "", str(tmp_path / "arts")))
    for f in dest.rglob("*"):
        if f.is_file():
            assert pw.encode() not in f.read_bytes(), f
    log_text = (srv.state_dir / process.LOG_FILE).read_text()
    assert "Uvicorn running" in log_text or "Application startup complete" in log_text
    assert pw not in log_text
    st = process.status(srv.state_dir)
    assert st.running and st.healthy
    for p in [psutil.Process(st.pid), *psutil.Process(st.pid).children(recursive=True)]:
        assert not any(pw in a for a in p.cmdline()), "password on a command line"


@pytest.mark.services
def test_cli_starts_reports_and_stops_a_server(postgres_server, mlflow_server, tmp_path) -> None:
    """The command a group runs: PostgreSQL password from SCIML_DB_URI, never on the server's command line.

    A second server on the session server's (already migrated) database: replicas share a database, and
    skipping MLflow's schema migrations saves seconds.
    """
    import psutil

    from tests.fixtures.postgres import free_port

    uri = mlflow_server.db_uri
    assert postgres_server.password in uri
    port = free_port()
    state = tmp_path / "state"
    env = {"SCIML_DB_URI": uri, "SCIML_SERVER_DIR": str(state), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    cli = [sys.executable, "-m", "sciml_mlflow.cli.main", "server"]
    start = subprocess.run([*cli, "start", "--port", str(port)], env=env, capture_output=True, text=True, timeout=120)
    try:
        assert start.returncode == 0, start.stderr + start.stdout
        assert f"ready at http://127.0.0.1:{port}" in start.stdout
        assert postgres_server.password not in start.stdout + start.stderr
        pid = int(__import__("json").loads((state / "mlflow-server.pid").read_text())["pid"])
        tree = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
        assert all(postgres_server.password not in " ".join(p.cmdline()) for p in tree)
        assert not any("huey" in " ".join(p.cmdline()) for p in tree)  # job runner off
        status = subprocess.run([*cli, "status"], env=env, capture_output=True, text=True, timeout=60)
        assert status.returncode == 0 and "healthy" in status.stdout
        assert postgres_server.password not in status.stdout and "***" not in status.stdout
        again = subprocess.run([*cli, "start", "--port", str(port)], env=env, capture_output=True, text=True,
                               timeout=60)
        assert again.returncode == 1 and "already running" in again.stderr
    finally:
        stop = subprocess.run([*cli, "stop"], env=env, capture_output=True, text=True, timeout=60)
    assert stop.returncode == 0 and "stopped" in stop.stdout
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    after = subprocess.run([*cli, "status"], env=env, capture_output=True, text=True, timeout=60)
    assert after.returncode == 1 and "no tracking server" in after.stdout
