"""The buffered MetricLogger: batches in order, flushes on close, listeners see logged values."""

import pytest

from sciml_mlflow.tracking.metric_buffer import MetricLogger


class FakeClient:
    def __init__(self, fail=False):
        self.batches, self.fail = [], fail

    def log_batch(self, run_id, metrics=(), synchronous=True):
        if self.fail:
            raise RuntimeError("store down")
        self.batches.append(list(metrics))


def test_everything_logged_is_written_in_order_on_close():
    client = FakeClient()
    m = MetricLogger(client, "r", flush_interval_s=3600)
    for i in range(2500):
        m.log_dict({"a": i, "b": -i}, step=i)
    m.close()
    rows = [x for b in client.batches for x in b]
    assert len(rows) == 5000 and all(len(b) <= 1000 for b in client.batches)
    assert [r.step for r in rows if r.key == "a"] == list(range(2500))
    assert m.latest("b") == -2499.0


def test_listener_sees_its_metric_and_a_broken_listener_is_dropped():
    m = MetricLogger(FakeClient(), "r", flush_interval_s=3600)
    seen = []
    m.add_listener("val_acc", lambda k, v, s: seen.append((k, v, s)))
    m.add_listener("val_acc", lambda k, v, s: 1 / 0)
    m.log("val_acc", 0.5, step=1)
    m.log_dict({"val_acc": 0.7, "other": 1}, step=2)
    m.log("other", 3)
    assert seen == [("val_acc", 0.5, 1), ("val_acc", 0.7, 2)]
    assert len(m._listeners["val_acc"]) == 1
    m.close()


def test_failed_write_keeps_the_metrics_and_raises():
    client = FakeClient(fail=True)
    m = MetricLogger(client, "r", flush_interval_s=3600)
    m.log("x", 1.0)
    with pytest.raises(RuntimeError, match="store down"):
        m.close()
    assert len(m._buf) == 1
