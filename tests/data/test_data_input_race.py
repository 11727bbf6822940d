"""Runs of one sweep log the same dataset at the same moment: every run gets its input, none crashes."""

from __future__ import annotations

import threading
from pathlib import Path
from types import SimpleNamespace

import pytest

from sciml_mlflow.data.record import log_dataset_input


def _staged(tmp_path: Path) -> SimpleNamespace:
    return SimpleNamespace(name="race", scale="tiny", digest="0123456789abcdef0123456789abcdef.dir",
                           source="generated", path=tmp_path, tags={"dataset.remote": "generated"},
                           files=1, bytes=4)


def test_a_lost_insert_race_is_retried_and_the_input_is_kept(tmp_path: Path) -> None:
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    client = MlflowClient(f"sqlite:///{tmp_path / 'store.db'}")
    exp = client.create_experiment("race")
    run = client.create_run(exp)
    real = client.log_inputs
    calls = []

    def losing_then_real(run_id, datasets=None, models=None):
        calls.append(run_id)
        if len(calls) == 1:  # what the store raises when a concurrent run inserted the row first
            raise MlflowException("(sqlite3.IntegrityError) UNIQUE constraint failed: datasets.experiment_id, "
                                  "datasets.name, datasets.digest")
        return real(run_id, datasets=datasets)

    client.log_inputs = losing_then_real  # type: ignore[method-assign]
    log_dataset_input(client, run.info.run_id, _staged(tmp_path))
    assert len(calls) == 2
    inputs = client.get_run(run.info.run_id).inputs.dataset_inputs
    assert [i.dataset.name for i in inputs] == ["race-tiny"]


def test_other_store_errors_are_not_retried(tmp_path: Path) -> None:
    from mlflow.exceptions import MlflowException

    calls = []

    class Broken:
        def log_inputs(self, run_id, datasets=None):
            calls.append(run_id)
            raise MlflowException("database is locked")

    with pytest.raises(MlflowException, match="locked"):
        log_dataset_input(Broken(), "r", _staged(tmp_path))
    assert calls == ["r"]


def test_concurrent_runs_all_record_the_same_dataset(tmp_path: Path) -> None:
    from mlflow import MlflowClient

    uri = f"sqlite:///{tmp_path / 'store.db'}"
    setup = MlflowClient(uri)
    exp = setup.create_experiment("race")
    runs = [setup.create_run(exp).info.run_id for _ in range(6)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(runs))

    def one(run_id: str) -> None:
        try:
            client = MlflowClient(uri)
            barrier.wait()
            log_dataset_input(client, run_id, _staged(tmp_path))
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(r,)) for r in runs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    for r in runs:
        assert [i.dataset.digest for i in setup.get_run(r).inputs.dataset_inputs] == [_staged(tmp_path).digest]
