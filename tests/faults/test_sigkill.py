"""SIGKILL mid-run, then ``sciml-mlflow runs reconcile``: the run ends FAILED (reason=lost), no metric lost.

SIGKILL cannot be caught: the metrics still in the writer's memory buffer (up to 5 s of them) never reach
the store, and MLflow would keep the run RUNNING forever.  The journal and the heartbeat repair both.
"""

from __future__ import annotations

import signal
import time

import pytest

from tests.faults.conftest import COMMON, all_runs, start_cli, stop, wait_for_step

pytestmark = [pytest.mark.faults, pytest.mark.slow]


def test_sigkill_then_reconcile_ends_failed_lost_with_every_metric(toy_steps, tmp_path, sciml_home, capsys):
    from mlflow.tracking import MlflowClient

    from sciml_mlflow.cli.main import main

    marker = tmp_path / "step"
    proc = start_cli([*COMMON, "benchmark.training.epochs=400", "benchmark.options.step_s=0.02",
                      "tracking.heartbeat_s=1", f"benchmark.options.marker={marker}",
                      f"hydra.run.dir={tmp_path / 'out'}"], cwd=tmp_path)
    wait_for_step(marker, 20, proc)
    stop(proc, signal.SIGKILL)
    last = int(marker.read_text())
    client = MlflowClient(tracking_uri=f"sqlite:///{sciml_home}/mlflow.db")
    (run,) = all_runs(client)
    assert run.info.status == "RUNNING"  # what MLflow alone leaves behind
    before = len(client.get_metric_history(run.info.run_id, "loss"))
    assert before < last + 1  # the buffer was lost with the process: the journal is the only copy
    journal = sciml_home / "journal" / f"{run.info.run_id}.metrics"
    assert journal.is_file()
    foreign = client.create_run(run.info.experiment_id, run_name="another tool's run").info.run_id  # no heartbeat
    time.sleep(3.5)  # > 3 heartbeat intervals
    assert main(["runs", "reconcile", "--stale-after", "2"]) == 0
    out = capsys.readouterr().out
    assert "1 lost run(s) ended" in out, out
    run = client.get_run(run.info.run_id)
    assert run.info.status == "FAILED" and run.data.tags["reason"].startswith("lost (no heartbeat since ")
    steps = [m.step for m in client.get_metric_history(run.info.run_id, "loss")]
    assert steps == list(range(len(steps))) and len(steps) >= last + 1  # metrics lost: 0
    assert not journal.exists()
    assert client.get_run(foreign).info.status == "RUNNING"  # other tools' runs are never touched
    assert main(["runs", "reconcile", "--stale-after", "2"]) == 0
    assert "0 lost run(s) ended, 0 row(s) replayed" in capsys.readouterr().out  # idempotent
