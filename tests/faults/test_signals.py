"""Signals from schedulers and users: the run ends KILLED, every metric so far is in the store, reason tagged.

Real processes (``python -m sciml_mlflow``) are signalled mid-training, once the toy benchmark reports a
step through its marker file: SIGINT and SIGUSR1 on single runs, SIGTERM on a sweep (job and parent).
The three run at once (one test) to keep the suite fast.
"""

from __future__ import annotations

import signal

import pytest

from tests.faults.conftest import COMMON, all_runs, start_cli, stop, wait_for_step

pytestmark = [pytest.mark.faults, pytest.mark.slow]
LONG = ["benchmark.training.epochs=400", "benchmark.options.step_s=0.05"]


def _assert_killed_with_every_step(client, run, marker, word):
    assert run.info.status == "KILLED", run.info
    assert word in run.data.tags.get("reason", ""), run.data.tags
    steps = [m.step for m in client.get_metric_history(run.info.run_id, "loss")]
    last = int(marker.read_text())
    assert steps == list(range(len(steps))) and len(steps) >= last + 1, (steps[-3:], last)  # nothing lost
    assert "system/time_total_s" in run.data.metrics


def test_sigint_sigusr1_and_sigterm_on_a_sweep_end_runs_killed(toy_steps, tmp_path, sciml_home):
    from mlflow.tracking import MlflowClient

    cases = {"sigint": (signal.SIGINT, "SIGINT", 130), "sigusr1": (signal.SIGUSR1, "SIGUSR1", 138),
             "sigterm": (signal.SIGTERM, "SIGTERM", 143)}
    procs = {}
    for name in cases:
        marker = tmp_path / f"step-{name}"
        args = [*COMMON, *LONG, f"+tags.case={name}", f"benchmark.options.marker={marker}"]
        if name == "sigterm":
            args = ["-m", *args, "seed=1,2", f"hydra.sweep.dir={tmp_path / 'sweep'}"]
        else:
            args.append(f"hydra.run.dir={tmp_path / name}")
        procs[name] = (start_cli(args, cwd=tmp_path), marker)
    for name, (proc, marker) in procs.items():
        wait_for_step(marker, 5, proc, timeout=240)
    outs = {name: stop(proc, cases[name][0]) for name, (proc, marker) in procs.items()}
    for name, (proc, _) in procs.items():
        assert proc.returncode == cases[name][2], (name, outs[name][-3000:])
    client = MlflowClient(tracking_uri=f"sqlite:///{sciml_home}/mlflow.db")
    runs = all_runs(client)
    assert [r.info.run_id for r in runs if r.info.status == "RUNNING"] == []  # runs left RUNNING: 0
    parents = [r for r in runs if r.data.tags.get("sweep.role") == "parent"]
    assert len(parents) == 1 and parents[0].info.status == "KILLED" and "SIGTERM" in parents[0].data.tags["reason"]
    for name, (proc, marker) in procs.items():
        (run,) = [r for r in runs if r.data.tags.get("case") == name and r.data.tags.get("sweep.role") != "parent"]
        _assert_killed_with_every_step(client, run, marker, cases[name][1])
