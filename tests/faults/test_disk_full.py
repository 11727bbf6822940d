"""A full artifact disk: the run ends FAILED with an ``error`` tag and a traceback it can find, no
truncated model left in the run, every metric kept.

The artifact root is a real 1 MiB tmpfs (``mount -t tmpfs``), so the failure is the kernel's ENOSPC, not
a mock.  Mounting needs root or CAP_SYS_ADMIN (CI runs as root); elsewhere the test is skipped, saying so.
"""

from __future__ import annotations

import subprocess

import pytest

from tests.conftest import run_cli
from tests.faults.conftest import COMMON, all_runs

pytestmark = [pytest.mark.faults, pytest.mark.slow]


@pytest.fixture()
def full_disk(tmp_path):
    mnt = tmp_path / "small-disk"
    mnt.mkdir()
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mnt)], capture_output=True, text=True)
    if res.returncode != 0:
        pytest.skip(f"cannot mount a 1 MiB tmpfs for the full-disk case (needs root/CAP_SYS_ADMIN): {res.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_full_artifact_disk_fails_the_run_cleanly(toy_steps, tmp_path, sciml_home, full_disk):
    proc = run_cli([*COMMON, "benchmark.options.model_kb=3000", f"tracking.artifact_root={full_disk}",
                    f"hydra.run.dir={tmp_path / 'out'}"], cwd=tmp_path)
    text = proc.stdout + proc.stderr
    assert proc.returncode == 1, text[-3000:]
    assert "No space left on device" in text
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=f"sqlite:///{sciml_home}/mlflow.db")
    (run,) = all_runs(client)
    assert run.info.status == "FAILED"
    assert "No space left" in run.data.tags.get("error", ""), run.data.tags
    assert "Traceback" in run.data.tags.get("error.traceback", "") or any(
        f.path == "error" for f in client.list_artifacts(run.info.run_id))
    assert not list(full_disk.rglob("model.pt"))  # no truncated model in the run
    assert [m.step for m in client.get_metric_history(run.info.run_id, "loss")] == [0, 1, 2]
    if "error/traceback.txt" in text:  # a log line may only name an artifact that exists
        assert any(f.path == "error" for f in client.list_artifacts(run.info.run_id))
