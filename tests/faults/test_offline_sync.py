"""Server absent at the start: the run is recorded offline (local SQLite store), then ``runs sync`` pushes it
to the shared server with its timestamps, status, metric histories, params, tags and artifacts.
"""

from __future__ import annotations

import pytest

from sciml_mlflow.errors import TrackingError
from tests.faults.conftest import all_runs

pytestmark = [pytest.mark.faults, pytest.mark.slow, pytest.mark.services]


def test_offline_run_then_sync_keeps_everything(toy_steps, compose_cfg, sciml_home, tmp_path, absent_server,
                                                 monkeypatch, capsys):
    from mlflow.tracking import MlflowClient

    from sciml_mlflow.cli.main import main
    from sciml_mlflow.run import run_benchmark

    sqlite_server = absent_server  # no server at the start: the server URI is refused fast, with the offline way out
    monkeypatch.setenv("SCIML_TRACKING_URI", sqlite_server.url)
    with pytest.raises(TrackingError, match="tracking=local"):
        run_benchmark(compose_cfg("benchmark=toy_steps", "tracking=server"), tmp_path / "refused")
    res = run_benchmark(compose_cfg("benchmark=toy_steps", "benchmark.options.model_kb=4"), tmp_path / "out")
    with pytest.raises(RuntimeError):
        run_benchmark(compose_cfg("benchmark=toy_steps", "benchmark.options.fail_with=planned"), tmp_path / "out2")
    local = MlflowClient(tracking_uri=f"sqlite:///{sciml_home}/mlflow.db")
    src = {r.info.run_id: r for r in all_runs(local)}
    assert {r.info.status for r in src.values()} == {"FINISHED", "FAILED"}

    sqlite_server.start()  # the node is back on the network
    assert main(["runs", "sync", "--from", f"sqlite:///{sciml_home}/mlflow.db", "--to", sqlite_server.url]) == 0
    assert "2 run(s) copied" in capsys.readouterr().out
    remote = sqlite_server.client()
    dst = {r.data.tags["sciml.origin.run_id"]: r for r in all_runs(remote)}
    assert set(dst) == set(src)
    for rid, s in src.items():
        d = dst[rid]
        assert (d.info.status, d.info.start_time, d.info.end_time) == (s.info.status, s.info.start_time, s.info.end_time)
        assert d.data.params == s.data.params and d.data.metrics == s.data.metrics
        hist = lambda c, r: [(m.step, m.timestamp, m.value) for m in c.get_metric_history(r, "loss")]  # noqa: E731
        assert hist(remote, d.info.run_id) == hist(local, rid)
        assert {k: v for k, v in d.data.tags.items() if not k.startswith("sciml.origin")} == s.data.tags
        assert sorted(a.path for a in remote.list_artifacts(d.info.run_id)) == sorted(a.path for a in local.list_artifacts(rid))
    assert [a.path for a in remote.list_artifacts(dst[res.run_id].info.run_id, "model")] == ["model/model.pt"]
    assert main(["runs", "sync", "--from", f"sqlite:///{sciml_home}/mlflow.db", "--to", sqlite_server.url]) == 0
    assert "0 run(s) copied, 2 already there" in capsys.readouterr().out
