"""Signals from schedulers and users: the run ends KILLED, every metric so far is in the store, reason tagged.

Real processes (``python -m sciml_mlflow``) are signalled mid-training, once the toy benchmark reports a
step through its marker file; SIGTERM is sent to a sweep so that the parent run is checked too.
"""

from __future__ import annotations

import signal

import pytest

from tests.faults.conftest import COMMON, all_runs, start_cli, stop, wait_for_step

pytestmark = [pytest.mark.faults, pytest.mark.slow]
LONG = ["benchmark.training.epochs=400", "benchmark.options.step_s=0.05"]


def _client(home):
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=f"sqlite:///{home}/mlflow.db")


def _assert_killed_with_every_step(client, run, marker, word):
    assert run.info.status == "KILLED", run.info
    assert word in run.data.tags.get("reason", ""), run.data.tags
    steps = [m.step for m in client.get_metric_history(run.info.run_id, "loss")]
    last = int(marker.read_text())
    assert steps == list(range(len(steps))) and len(steps) >= last + 1, (steps[-3:], last)  # nothing lost
    assert "time/total_s" in run.data.metrics


@pytest.mark.parametrize("sig,word,code", [(signal.SIGINT, "SIGINT", 130), (signal.SIGUSR1, "SIGUSR1", 138)])
def test_signal_ends_the_run_killed_with_metrics_flushed(toy_steps, tmp_path, sciml_home, sig, word, code):
    marker = tmp_path / "step"
    proc = start_cli([*COMMON, *LONG, f"benchmark.options.marker={marker}", f"hydra.run.dir={tmp_path / 'out'}"],
                     cwd=tmp_path)
    wait_for_step(marker, 5, proc)
    out = stop(proc, sig)
    assert proc.returncode == code, out[-3000:]
    client = _client(sciml_home)
    (run,) = all_runs(client)
    _assert_killed_with_every_step(client, run, marker, word)


def test_sigterm_on_a_sweep_ends_job_and_parent_killed(toy_steps, tmp_path, sciml_home):
    marker = tmp_path / "step"
    proc = start_cli(["-m", *COMMON, *LONG, "seed=1,2", f"benchmark.options.marker={marker}",
                      f"hydra.sweep.dir={tmp_path / 'sweep'}"], cwd=tmp_path)
    wait_for_step(marker, 5, proc)
    out = stop(proc, signal.SIGTERM)
    assert proc.returncode == 143, out[-3000:]
    client = _client(sciml_home)
    runs = all_runs(client)
    (parent,) = [r for r in runs if r.data.tags.get("sweep.role") == "parent"]
    (job,) = [r for r in runs if r is not parent]
    _assert_killed_with_every_step(client, job, marker, "SIGTERM")
    assert parent.info.status == "KILLED" and "SIGTERM" in parent.data.tags.get("reason", "")
    assert [r.info.status for r in runs if r.info.status == "RUNNING"] == []
