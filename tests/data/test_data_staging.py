"""Staging over real S3 (moto on loopback): push to mirrors, pull in clones, failover, corruption, locks."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sciml_mlflow.data.project import DvcProject
from sciml_mlflow.data.staging import prepare
from sciml_mlflow.errors import DataIntegrityError

pytestmark = [pytest.mark.services, pytest.mark.slow]
FILE = Path("training/toy.h5")


@pytest.fixture(scope="module")
def world(moto_server, tmp_path_factory):
    """Generated once per module in an origin project, pushed to both mirrors, dvc.lock committed.

    Returns (toy project, collection, digest, snapshot of the buckets); ``published`` restores the
    buckets from the snapshot before each test, so tests may damage them freely.
    """
    from sciml_mlflow.cli.data import _push
    from tests.data.conftest import make_toy_world

    base = tmp_path_factory.mktemp("world")
    toy, coll = make_toy_world(base)
    with pytest.MonkeyPatch.context() as mp:
        for k, v in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                     "AWS_DEFAULT_REGION": "us-east-1", "SCIML_MLFLOW_BENCHMARKS": str(coll),
                     "SCIML_DATA_DIR": str(toy.origin / "data"), "DVC_GLOBAL_CONFIG_DIR": str(base / "g"),
                     "DVC_SYSTEM_CONFIG_DIR": str(base / "s"), "DVC_SITE_CACHE_DIR": str(base / "site")}.items():
            mp.setenv(k, v)
        moto_server.reset()
        s3c = moto_server.client()
        for bucket in BUCKETS:
            s3c.create_bucket(Bucket=bucket)
        toy.endpoints(toy.origin, mirror_a=moto_server.url, mirror_b=moto_server.url)
        # the maintainer records the dataset (a run never writes dvc.lock), then shares it
        rec = subprocess.run([sys.executable, "-m", "dvc", "repro", "generate@toy_sim-tiny"], cwd=toy.origin,
                             capture_output=True, text=True)
        assert rec.returncode == 0, rec.stderr
        staged = prepare("toy_sim", "tiny", remote="mirror_a")
        assert staged.digest == DvcProject(toy.origin).record("data/toy_sim/tiny").md5
        for r in ("mirror_a", "mirror_b"):
            assert _push("toy_sim", "tiny", r) == 0
        snapshot = {}
        for bucket in BUCKETS:
            objs = s3c.list_objects_v2(Bucket=bucket)["Contents"]
            assert len(objs) == 2  # the .dir listing and the file
            snapshot[bucket] = {o["Key"]: s3c.get_object(Bucket=bucket, Key=o["Key"])["Body"].read() for o in objs}
    subprocess.run(["git", "add", "dvc.lock"], cwd=toy.origin, check=True)
    subprocess.run(["git", "commit", "-q", "-m", "record toy_sim"], cwd=toy.origin, check=True)
    return toy, coll, staged.digest, snapshot


BUCKETS = ("mirror-a", "mirror-b")


@pytest.fixture()
def published(world, s3_env, tmp_path, monkeypatch):
    from tests.data.conftest import ToyProject

    toy, coll, digest, snapshot = world
    s3c = s3_env.client()
    for bucket, objs in snapshot.items():
        s3c.create_bucket(Bucket=bucket)
        for key, body in objs.items():
            s3c.put_object(Bucket=bucket, Key=key, Body=body)
    monkeypatch.setenv("SCIML_MLFLOW_BENCHMARKS", str(coll))
    monkeypatch.setenv("SCIML_DVC_REMOTES", "mirror_a,mirror_b")  # the empty `local` is covered in one test
    return ToyProject(tmp_path, toy.origin), digest


def _clone(toy, monkeypatch, name="clone", **endpoints) -> Path:
    clone = toy.clone(name)
    assert not (clone / ".dvc" / "config.local").exists()  # nothing local but what we add here
    toy.endpoints(clone, **endpoints)
    monkeypatch.setenv("SCIML_DATA_DIR", str(clone / "data"))
    return clone


def _rev(project: Path) -> str:
    return subprocess.run(["git", "log", "-n1", "--format=%H", "--", "dvc.lock"], cwd=project, capture_output=True,
                          text=True).stdout.strip()


def test_push_to_two_mirrors_and_pull_in_fresh_clone_recorded_in_mlflow(published, s3_env, monkeypatch, tmp_path):
    toy_project, digest = published
    monkeypatch.delenv("SCIML_DVC_REMOTES")  # all remotes, default `local` (empty here) first
    clone = _clone(toy_project, monkeypatch, mirror_a=s3_env.url, mirror_b=s3_env.url)
    assert not (clone / ".dvc" / "cache").exists()
    staged = prepare("toy_sim", "tiny")
    # the default `local` remote is empty here: skipped, first S3 mirror serves
    assert (staged.source, staged.tags["dataset.remote"], staged.digest) == ("s3://mirror-a/dvc", "mirror_a", digest)
    assert staged.tags["dataset.dvc_rev"] == _rev(clone) and staged.tags["dataset.version"] == "2.1"
    assert (clone / "data/toy_sim/tiny" / FILE).stat().st_size > 200_000
    again = prepare("toy_sim", "tiny")  # present and intact: no transfer, same identity
    assert again.digest == digest and again.tags["dataset.remote"] == "mirror_a"
    _assert_recorded_in_mlflow(again, clone, digest, tmp_path)


def _assert_recorded_in_mlflow(staged, clone: Path, digest: str, tmp_path: Path) -> None:
    """The run's dataset input and tags carry the .dvc record's hash, the serving mirror and the revision."""
    from mlflow.tracking import MlflowClient

    from sciml_mlflow.run.record import record_dataset

    client = MlflowClient(tracking_uri=f"sqlite:///{tmp_path}/mlflow.db")
    run = client.create_run(client.create_experiment("toy"))
    record_dataset(client, run.info.run_id, staged)
    got = client.get_run(run.info.run_id)
    (inp,) = got.inputs.dataset_inputs
    assert inp.dataset.digest == digest == DvcProject(clone).record("data/toy_sim/tiny").md5
    assert "s3://mirror-a/dvc" in inp.dataset.source and inp.dataset.name == "toy_sim-tiny"
    assert {t.key: t.value for t in inp.tags}["scale"] == "tiny"
    tags = got.data.tags
    assert (tags["dataset.remote"], tags["dataset.version"], tags["dataset.dvc_rev"], tags["dataset.digest"]) == (
        "mirror_a", "2.1", _rev(clone), digest)


def test_first_mirror_down_second_serves_within_seconds(published, s3_env, monkeypatch):
    from tests.fixtures.moto_s3 import free_port

    toy_project, digest = published
    _clone(toy_project, monkeypatch, mirror_a=f"http://127.0.0.1:{free_port()}", mirror_b=s3_env.url)
    t0 = time.perf_counter()
    staged = prepare("toy_sim", "tiny")
    elapsed = time.perf_counter() - t0
    assert staged.tags["dataset.remote"] == "mirror_b" and staged.digest == digest
    assert elapsed < 30, f"failover took {elapsed:.1f} s"


def test_object_missing_on_first_mirror(published, s3_env, monkeypatch):
    toy_project, digest = published
    s3c = s3_env.client()
    for obj in s3c.list_objects_v2(Bucket="mirror-a")["Contents"]:
        s3c.delete_object(Bucket="mirror-a", Key=obj["Key"])
    _clone(toy_project, monkeypatch, mirror_a=s3_env.url, mirror_b=s3_env.url)
    staged = prepare("toy_sim", "tiny")
    assert staged.tags["dataset.remote"] == "mirror_b" and staged.digest == digest


def test_corrupt_object_on_a_remote_is_rejected_and_next_mirror_used(published, s3_env, monkeypatch):
    toy_project, digest = published
    s3c = s3_env.client()
    for obj in s3c.list_objects_v2(Bucket="mirror-a")["Contents"]:
        if not obj["Key"].endswith(".dir"):  # the data file: same size, different bytes
            body = bytearray(s3c.get_object(Bucket="mirror-a", Key=obj["Key"])["Body"].read())
            body[len(body) // 2] ^= 0xFF
            s3c.put_object(Bucket="mirror-a", Key=obj["Key"], Body=bytes(body))
    clone = _clone(toy_project, monkeypatch, mirror_a=s3_env.url, mirror_b=s3_env.url)
    staged = prepare("toy_sim", "tiny")
    assert staged.tags["dataset.remote"] == "mirror_b" and staged.digest == digest
    from sciml_mlflow.data.verify import md5_file

    listing = DvcProject(clone).listing(DvcProject(clone).record("data/toy_sim/tiny"))
    assert md5_file(clone / "data/toy_sim/tiny" / FILE) == listing[FILE.as_posix()]


def test_corrupt_workspace_file_is_a_clear_error_then_pull_force_repairs(published, s3_env, monkeypatch, capsys):
    toy_project, digest = published
    clone = _clone(toy_project, monkeypatch, mirror_a=s3_env.url, mirror_b=s3_env.url)
    prepare("toy_sim", "tiny")
    f = clone / "data/toy_sim/tiny" / FILE
    st = f.stat()
    with open(f, "r+b") as fh:  # same size, and the mtime put back: DVC's own state would not notice
        fh.seek(st.st_size // 3)
        fh.write(b"\x00" * 16)
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))
    with pytest.raises(DataIntegrityError) as err:
        prepare("toy_sim", "tiny")
    expected = DvcProject(clone).listing(DvcProject(clone).record("data/toy_sim/tiny"))[FILE.as_posix()]
    msg = str(err.value)
    assert str(f) in msg and expected in msg and "--force" in msg
    from sciml_mlflow.cli.main import main

    assert main(["data", "pull", "toy_sim", "--scale", "tiny", "--force"]) == 0
    assert digest in capsys.readouterr().out
    assert prepare("toy_sim", "tiny").digest == digest


def test_two_concurrent_pulls_both_succeed(published, s3_env, monkeypatch):
    toy_project, digest = published
    clone = _clone(toy_project, monkeypatch, mirror_a=s3_env.url, mirror_b=s3_env.url)
    code = "from sciml_mlflow.cli.main import main; raise SystemExit(main())"
    procs = [subprocess.Popen([sys.executable, "-c", code, "data", "pull", "toy_sim", "--scale", "tiny"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=120)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert all(digest in o for o in outs) and not any("Unable to acquire lock" in o for o in outs)
    assert prepare("toy_sim", "tiny").digest == digest and (clone / "data/toy_sim/tiny" / FILE).is_file()
