"""Four independent runs started at once on a store that does not exist yet: all four FINISH.

Before issue 17, ``store.connect`` built ``MlflowClient()`` (which migrates the schema) before taking
the first-use lock, and 3 of 4 such runs crashed with alembic errors ("duplicate column name: step").
"""

from __future__ import annotations

import pytest

from tests.faults.conftest import COMMON, all_runs, start_cli

pytestmark = [pytest.mark.faults, pytest.mark.slow]


def test_four_concurrent_runs_on_a_fresh_store(toy_steps, tmp_path, sciml_home):
    assert not (sciml_home / "mlflow.db").exists()
    procs = [start_cli([*COMMON, f"seed={i}", f"hydra.run.dir={tmp_path / f'out{i}'}"], cwd=tmp_path) for i in range(4)]
    outs = [p.communicate(timeout=300)[0] for p in procs]
    for p, out in zip(procs, outs):
        assert p.returncode == 0, out[-3000:]
        assert "duplicate column" not in out and "database is locked" not in out
    from mlflow.tracking import MlflowClient

    runs = all_runs(MlflowClient(tracking_uri=f"sqlite:///{sciml_home}/mlflow.db"))
    assert sorted(r.data.tags["seed"] for r in runs) == ["0", "1", "2", "3"]
    assert {r.info.status for r in runs} == {"FINISHED"}
    assert all(len(MlflowClient(tracking_uri=f"sqlite:///{sciml_home}/mlflow.db").get_metric_history(r.info.run_id, "loss")) == 3
               for r in runs)
