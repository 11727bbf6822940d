"""The tracking server dies mid-run and comes back: training goes on, the run catches up, nothing is lost.

A real ``mlflow server`` (SQLite backend) is stopped by pid while the toy benchmark trains and restarted
on the same port a few seconds later; the run must end FINISHED with every step of ``loss`` stored.
"""

from __future__ import annotations

import time

import pytest

from tests.faults.conftest import COMMON, all_runs, start_cli, wait_for_step

pytestmark = [pytest.mark.faults, pytest.mark.slow, pytest.mark.services]


def test_server_killed_and_restarted_mid_run_loses_nothing(toy_steps, tmp_path, sciml_home, sqlite_server):
    marker = tmp_path / "step"
    steps = 300
    proc = start_cli([*COMMON, "tracking=server", f"benchmark.training.epochs={steps}", "benchmark.options.step_s=0.05",
                      f"benchmark.options.marker={marker}", f"hydra.run.dir={tmp_path / 'out'}"],
                     cwd=tmp_path, env={"SCIML_TRACKING_URI": sqlite_server.url})
    wait_for_step(marker, 10, proc, timeout=180)
    sqlite_server.stop()
    down_at = int(marker.read_text())
    time.sleep(6)
    assert proc.poll() is None  # still training with the server gone
    assert int(marker.read_text()) > down_at
    sqlite_server.start()
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0, out[-4000:]
    client = sqlite_server.client()
    (run,) = all_runs(client)
    assert run.info.status == "FINISHED"
    assert [m.step for m in client.get_metric_history(run.info.run_id, "loss")] == list(range(steps))
    assert not (sciml_home / "journal" / f"{run.info.run_id}.metrics").exists()  # all in the store
