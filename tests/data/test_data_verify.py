"""Verification without services: DVC-compatible hashes, the stat cache, and the unmanaged data root."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sciml_mlflow.data.verify import HashCache, dir_digest, md5_file, verify_tree
from sciml_mlflow.errors import DataIntegrityError


def _tree(root: Path) -> None:
    (root / "a").mkdir(parents=True)
    (root / "a" / "x.bin").write_bytes(os.urandom(300_000))
    (root / "y.bin").write_bytes(b"hello")


def test_verify_uses_cache_and_catches_same_size_same_mtime_corruption(tmp_path):
    root = tmp_path / "ds"
    _tree(root)
    expected = dir_digest({"a/x.bin": md5_file(root / "a/x.bin"), "y.bin": md5_file(root / "y.bin")})
    cache = HashCache.load(tmp_path / "state.json")
    assert verify_tree(root, expected, cache).rehashed == 2
    assert verify_tree(root, expected, HashCache.load(tmp_path / "state.json")).rehashed == 0
    f = root / "a/x.bin"
    st = f.stat()
    with open(f, "r+b") as fh:
        fh.seek(1000)
        fh.write(b"\xff" * 8)
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))
    with pytest.raises(DataIntegrityError, match="folder hash"):
        verify_tree(root, expected, HashCache.load(tmp_path / "state.json"))


def test_dir_digest_matches_dvc(tmp_path):
    from dvc_data.hashfile.hash_info import HashInfo
    from dvc_data.hashfile.meta import Meta
    from dvc_data.hashfile.tree import Tree

    root = tmp_path / "ds"
    _tree(root)
    md5s = {"a/x.bin": md5_file(root / "a/x.bin"), "y.bin": md5_file(root / "y.bin")}
    tree = Tree()
    for rel, m in md5s.items():
        tree.add(tuple(rel.split("/")), Meta(), HashInfo("md5", m))
    tree.digest()
    assert dir_digest(md5s) == tree.hash_info.value


def test_unmanaged_root_generates_once_then_verifies(tmp_path, monkeypatch):
    from tests.data.conftest import TOY_DATASET

    coll = tmp_path / "coll"
    (coll / "benchmarks" / "toybench").mkdir(parents=True)
    (coll / "benchmarks" / "toybench" / "benchmark.py").write_text("def train(ctx):\n    pass\n")
    (coll / "benchmarks" / "toybench" / "dataset.py").write_text(TOY_DATASET)
    (coll / "conf" / "dataset").mkdir(parents=True)
    (coll / "conf" / "dataset" / "toy_sim.yaml").write_text("name: toy_sim\nbenchmark: toybench\n")
    monkeypatch.setenv("SCIML_MLFLOW_BENCHMARKS", str(coll))
    monkeypatch.setenv("SCIML_DATA_DIR", str(tmp_path / "plain"))
    from sciml_mlflow.data.staging import prepare

    first = prepare("toy_sim", "tiny")
    assert first.source == "generated" and first.digest.endswith(".dir") and len(first.digest) <= 36
    second = prepare("toy_sim", "tiny")
    assert second.digest == first.digest
    (first.path / "training" / "toy.h5").write_bytes(b"broken")
    with pytest.raises(DataIntegrityError, match="toy.h5"):
        prepare("toy_sim", "tiny")
