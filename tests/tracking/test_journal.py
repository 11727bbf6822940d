"""The metric journal: every row on disk before the store, torn lines skipped, replay writes only what is missing."""

from __future__ import annotations

import math
import stat

from sciml_mlflow.tracking import journal
from sciml_mlflow.tracking.metric_buffer import MetricLogger


class DownClient:
    """A store that refuses every batch (server gone)."""

    def log_batch(self, run_id, metrics=(), tags=(), synchronous=True):
        raise ConnectionError("store down")


def test_rows_are_on_disk_before_any_flush_and_kept_when_the_store_is_down(tmp_path):
    j = journal.Journal.for_run("r1", tmp_path)
    m = MetricLogger(DownClient(), "r1", flush_interval_s=3600, journal=j, close_retry_s=0)
    for i in range(5):
        m.log("loss", 1.0 / (i + 1), step=i)
    m.log_dict({"a": float("nan"), "b": float("inf")}, step=5)
    rows = journal.read(j.path)  # nothing was flushed: the journal is the only copy
    assert [r[3] for r in rows if r[0] == "loss"] == [0, 1, 2, 3, 4]
    assert math.isnan([r for r in rows if r[0] == "a"][0][1]) and [r for r in rows if r[0] == "b"][0][1] == math.inf
    assert stat.S_IMODE(j.path.stat().st_mode) == 0o600
    try:
        m.close()
    except ConnectionError:
        pass
    assert j.path.exists()  # not removed: replay needs it


def test_torn_last_line_is_skipped(tmp_path):
    p = tmp_path / "x.metrics"
    p.write_text(journal.HEADER + "loss\t0.5\t1000\t0\nloss\t0.2\t10")
    assert journal.read(p) == [("loss", 0.5, 1000, 0)]


def test_replay_writes_only_missing_rows_and_a_clean_close_removes_the_journal(mlflow_client, tmp_path):
    exp = mlflow_client.create_experiment("j")
    run_id = mlflow_client.create_run(exp).info.run_id
    j = journal.Journal.for_run(run_id, tmp_path)
    m = MetricLogger(mlflow_client, run_id, flush_interval_s=3600, journal=j)
    for i in range(3):
        m.log("loss", float(i), step=i)
    m.flush()
    for i in range(3, 6):
        m.log("loss", float(i), step=i)  # buffered only: "the process dies" here
    copy = tmp_path / "copy.metrics"
    copy.write_bytes(j.path.read_bytes())
    assert journal.replay(mlflow_client, run_id, copy) == 3
    assert journal.replay(mlflow_client, run_id, copy) == 0  # idempotent
    assert [x.step for x in mlflow_client.get_metric_history(run_id, "loss")] == list(range(6))
    m.close()
    assert not j.path.exists()
