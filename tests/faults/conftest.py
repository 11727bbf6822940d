"""Fault-injection fixtures: a toy benchmark that logs one metric per step, and helpers to inspect runs.

``toy_steps`` logs ``loss`` at every step (``benchmark.training.epochs`` steps, ``options.step_s`` apart),
writes the step number to ``options.marker`` (so a test knows when to strike), raises
``options.fail_with`` at step 1 when set, and logs ``options.say`` through stdlib logging, and writes a ``options.model_kb`` KiB model file when set.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import List, Sequence

import pytest

_CODE = '''
import logging
import os
import time
from pathlib import Path

log = logging.getLogger("toy_steps")


def train(ctx):
    o = ctx.options
    if o.get("say"):
        log.info("benchmark says: %s", o["say"])
    for step in range(int(ctx.hparams.epochs)):
        ctx.metrics.log("loss", 1.0 / (step + 1), step=step)
        if o.get("marker"):  # atomically: a reader (or a SIGKILL) never sees a half-written file
            tmp = Path(o["marker"] + ".tmp")
            tmp.write_text(str(step))
            os.replace(tmp, o["marker"])
        if o.get("fail_with") and step == 1:
            raise RuntimeError(o["fail_with"])
        time.sleep(float(o.get("step_s", 0)))
    ctx.metrics.log("val_accuracy", 0.9, step=int(ctx.hparams.epochs))
    if int(o.get("model_kb", 0)):
        (Path(ctx.model_dir) / "model.pt").write_bytes(b"m" * 1024 * int(o["model_kb"]))
'''

_DATASET = '''
from pathlib import Path


def generate(path, scale, seed=0):
    Path(path, "data.txt").write_text("toy\\n")
'''

_CARD = """\
defaults:
  - /schema/benchmark@_here_
  - _self_
name: toy_steps
dataset: {name: toy_steps_data, scale: tiny}
model: small
training: {epochs: 3, batch_size: 8, learning_rate: 0.01}
target: {metric: val_accuracy, value: 0.5, mode: max}
options: {step_s: 0, marker: "", fail_with: "", say: "", model_kb: 0}
"""

COMMON = ["benchmark=toy_steps", "hardware=cpu", "progress=false", "hardware.telemetry.enabled=false"]


@pytest.fixture()
def toy_steps(tmp_path: Path, sciml_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The toy_steps collection on SCIML_MLFLOW_BENCHMARKS, with a private tracking home."""
    root = tmp_path / "faults"
    bench = root / "benchmarks" / "toy_steps"
    bench.mkdir(parents=True)
    (bench / "benchmark.py").write_text(textwrap.dedent(_CODE))
    (bench / "dataset.py").write_text(_DATASET)
    (root / "conf" / "benchmark").mkdir(parents=True)
    (root / "conf" / "benchmark" / "toy_steps.yaml").write_text(_CARD)
    monkeypatch.setenv("SCIML_MLFLOW_BENCHMARKS", str(root))
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    return root


def start_cli(args: Sequence[str], cwd: Path, env: dict | None = None) -> subprocess.Popen:
    """``python -m sciml_mlflow ARGS`` as its own process (own session: signals reach it alone)."""
    return subprocess.Popen([sys.executable, "-m", "sciml_mlflow", *args], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env={**os.environ, **(env or {})},
                            start_new_session=True)


def wait_for_step(marker: Path, step: int, proc: subprocess.Popen, timeout: float = 120) -> None:
    """Block until the benchmark wrote ``step`` (or more) to ``marker``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"run ended early (rc {proc.returncode}):\n{proc.stdout.read()[-4000:]}")
        try:
            if int(marker.read_text() or -1) >= step:
                return
        except (OSError, ValueError):
            pass
        time.sleep(0.05)
    raise AssertionError(f"step {step} never reached")


def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 60) -> str:
    """Send ``sig`` to the run process, wait for it, and return its console output."""
    proc.send_signal(sig)
    out, _ = proc.communicate(timeout=timeout)
    return out


def all_runs(client) -> List:
    exps = [e.experiment_id for e in client.search_experiments()]
    return client.search_runs(exps, max_results=1000)


def store_dump(db: Path) -> str:
    """Every row of a SQLite store as SQL text (what a secret grep must search)."""
    import sqlite3

    con = sqlite3.connect(str(db))
    try:
        return "\n".join(con.iterdump())
    finally:
        con.close()


def files_text(*roots: Path) -> dict:
    """``{path: text}`` of every file under ``roots`` (binary files decoded leniently)."""
    out = {}
    for root in roots:
        for p in Path(root).rglob("*"):
            if p.is_file():
                out[p] = p.read_bytes().decode("utf-8", "replace")
    return out


class SqliteServer:
    """A real ``mlflow server`` (SQLite backend, local artifacts, no auth) that a test can kill and restart
    on the same port, started and stopped through sciml_mlflow.server (by pid)."""

    def __init__(self, tmp: Path) -> None:
        from tests.fixtures.mlflow_server import free_port

        self.tmp, self.port = tmp, free_port()
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self) -> "SqliteServer":
        from sciml_mlflow.server import process
        from sciml_mlflow.server.settings import from_env

        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MLFLOW_TRACKING_"))}
        env.update({"SCIML_DB_URI": f"sqlite:///{self.tmp}/server.db",
                    "SCIML_ARTIFACTS_DESTINATION": str(self.tmp / "server-artifacts")})
        settings = from_env(env, state_dir=self.tmp / "state", port=self.port, auth=False, startup_timeout_s=120.0)
        process.start(settings, base_env=env)
        return self

    def stop(self) -> None:
        from sciml_mlflow.server import process

        process.stop(self.tmp / "state")

    def client(self):
        from mlflow.tracking import MlflowClient

        return MlflowClient(tracking_uri=self.url)


@pytest.fixture()
def sqlite_server(tmp_path: Path):
    server = SqliteServer(tmp_path / "server").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture()
def absent_server(tmp_path: Path):
    """A server that is not running yet (its port is free); the test starts it when the network is back."""
    server = SqliteServer(tmp_path / "server")
    try:
        yield server
    finally:
        server.stop()
