"""A run never modifies a committed file: generated data is checked against dvc.lock, never recorded into it;
and `data status` / `verify` use dvc status's words ("CORRUPT" only for bytes that were the record)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from sciml_mlflow.data import transfer
from sciml_mlflow.data.project import DvcProject
from sciml_mlflow.data.staging import prepare
from sciml_mlflow.data.status import dataset_status
from sciml_mlflow.errors import DataError, DataRecordMismatchError

STAGE = "generate@toy_sim-tiny"


def _git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


@pytest.fixture()
def recorded(toy_project, monkeypatch):
    """The maintainer records toy_sim tiny (dvc repro, commit dvc.lock); a user clones it (no remote has it)."""
    project = DvcProject(toy_project.origin)
    proc = transfer.run_dvc(project, ["repro", STAGE])
    assert proc.returncode == 0, proc.stderr
    _git("add", "dvc.lock", cwd=toy_project.origin)
    _git("commit", "-q", "-m", "record", cwd=toy_project.origin)
    clone = toy_project.clone("user")
    monkeypatch.setenv("SCIML_DATA_DIR", str(clone / "data"))
    monkeypatch.setenv("SCIML_DVC_REMOTES", "local")
    return clone, DvcProject(clone).record("data/toy_sim/tiny")


def _toy_generator(monkeypatch, seed_shift: int) -> None:
    """A generator that writes other bytes (an edited generator, or one that is not bit-identical)."""
    import h5py
    import numpy as np

    from sciml_mlflow.data import generate as gen_cmd

    def other(root, scale, seed=0, **_):
        f = Path(root) / "training" / "toy.h5"
        f.parent.mkdir(parents=True, exist_ok=True)
        with h5py.File(f, "w") as h:
            h["train/images"] = np.random.default_rng(seed + seed_shift).random((64, 32, 32), dtype=np.float32)
        return [f]

    monkeypatch.setattr(gen_cmd, "generator", lambda benchmark: other)


def test_generated_data_matching_the_record_leaves_the_checkout_clean(recorded) -> None:
    clone, record = recorded
    staged = prepare("toy_sim", "tiny")  # the local remote does not exist: generated here
    assert staged.source == "generated" and staged.digest == record.md5
    assert _git("status", "--porcelain", cwd=clone) == ""
    assert dataset_status("toy_sim", "tiny").word == "intact"
    # DVC agrees: nothing changed, the output is in its cache
    proc = transfer.run_dvc(DvcProject(clone), ["status", STAGE])
    assert proc.returncode == 0 and "changed" not in proc.stdout and "not in cache" not in proc.stdout, proc.stdout


def test_a_different_generator_is_an_error_not_a_new_record(recorded, monkeypatch) -> None:
    clone, record = recorded
    lock = (clone / "dvc.lock").read_bytes()
    _toy_generator(monkeypatch, 1)
    with pytest.raises(DataRecordMismatchError, match=r"dvc\.lock records " + record.md5):
        prepare("toy_sim", "tiny")
    assert (clone / "dvc.lock").read_bytes() == lock and _git("status", "--porcelain", cwd=clone) == ""
    st = dataset_status("toy_sim", "tiny")
    assert st.word == "unrecorded" and "pull" in st.hint and not st.ok
    with pytest.raises(DataRecordMismatchError):  # a second run says the same, never "corrupt"
        prepare("toy_sim", "tiny")
    staged = prepare("toy_sim", "tiny", accept_unrecorded=True)  # the explicit option: a distinct version
    assert staged.digest != record.md5 and staged.tags["dataset.unrecorded"] == "true"
    assert staged.tags["dataset.recorded_digest"] == record.md5 and "+unrecorded." in staged.tags["dataset.version"]
    assert (clone / "dvc.lock").read_bytes() == lock


def test_corrupt_means_corrupt_and_unknown_bytes_are_modified(recorded) -> None:
    clone, _ = recorded
    staged = prepare("toy_sim", "tiny")
    f = staged.path / "training" / "toy.h5"
    data = bytearray(f.read_bytes())
    data[-10] ^= 0xFF
    f.write_bytes(bytes(data))
    st = dataset_status("toy_sim", "tiny", full=True)
    assert st.word == "CORRUPT" and "--force" in st.hint
    state = clone / "data" / ".sciml-state"
    for meta in state.glob("*.meta.json"):  # bytes of unknown origin (e.g. copied in by hand)
        meta.unlink()
    assert dataset_status("toy_sim", "tiny").word == "modified"


def test_pull_without_a_remote_that_has_it_fails_in_one_line(recorded) -> None:
    _, record = recorded
    with pytest.raises(DataError) as exc:
        prepare("toy_sim", "tiny", allow_generate=False)
    msg = str(exc.value)
    assert "\n" not in msg and record.md5 in msg and "local: remote folder" in msg and "does not exist" in msg and "dvc repro" in msg
