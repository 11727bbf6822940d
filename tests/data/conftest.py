"""A throw-away DVC project laid out like the suite (dvc.yaml, .dvc/config, data/) with a toy dataset.

The toy dataset (one ~260 KB HDF5 file) comes from a throw-away benchmark collection named by
``SCIML_MLFLOW_BENCHMARKS``, so these tests never wait for a real generator.  The project's committed
config names the same remotes as the suite's: ``local`` (default, a folder) and S3 mirrors ``mirror_a``,
``mirror_b``; endpoints go to ``.dvc/config.local`` as a user would put them.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

TOY_DATASET = textwrap.dedent('''
    import h5py
    import numpy as np
    from pathlib import Path

    def generate(root, scale, seed=0):
        n = {"tiny": 64, "small": 128}[scale]
        f = Path(root) / "training" / "toy.h5"
        f.parent.mkdir(parents=True, exist_ok=True)
        with h5py.File(f, "w") as h:
            h["train/images"] = np.random.default_rng(seed).random((n, 32, 32), dtype=np.float32)
        return [f]
''')

CONFIG = textwrap.dedent('''
    [core]
        remote = local
        autostage = false
    ['remote "local"']
        url = ../../shared-remote
        verify = true
    ['remote "mirror_a"']
        url = s3://mirror-a/dvc
        verify = true
        connect_timeout = 2
        read_timeout = 20
    ['remote "mirror_b"']
        url = s3://mirror-b/dvc
        verify = true
        connect_timeout = 2
        read_timeout = 20
''')

DVC_YAML = textwrap.dedent('''
    stages:
      generate:
        foreach:
          toy_sim-tiny: {dataset: toy_sim, scale: tiny}
        do:
          cmd: python -m sciml_mlflow.data generate ${item.dataset} ${item.scale} data/${item.dataset}/${item.scale}
          outs:
            - data/${item.dataset}/${item.scale}
''')


def sh(*cmd: str, cwd: Path) -> str:
    return subprocess.run(cmd, cwd=cwd, check=True, capture_output=True, text=True).stdout


def dvc(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dvc", *args], cwd=cwd, capture_output=True, text=True)


@dataclass
class ToyProject:
    """Paths of the throw-away world: a collection, an origin project and room for clones."""

    base: Path
    origin: Path

    def clone(self, name: str) -> Path:
        sh("git", "clone", "-q", str(self.origin), name, cwd=self.base)
        return self.base / name

    def endpoints(self, project: Path, **urls: str) -> None:
        """``mirror_a=URL`` ...: write endpoints to the git-ignored config.local, as a user would."""
        for remote, url in urls.items():
            r = dvc("remote", "modify", "--local", remote, "endpointurl", url, cwd=project)
            assert r.returncode == 0, r.stderr


def _git_project(path: Path) -> None:
    path.mkdir(parents=True)
    sh("git", "init", "-q", cwd=path)
    sh("git", "config", "user.email", "t@example.org", cwd=path)
    sh("git", "config", "user.name", "test", cwd=path)
    (path / ".dvc").mkdir()
    (path / ".dvc" / ".gitignore").write_text("/config.local\n/tmp\n/cache\n")
    (path / ".dvc" / "config").write_text(CONFIG)
    (path / "dvc.yaml").write_text(DVC_YAML)
    (path / ".gitignore").write_text("/data/\n")
    sh("git", "add", "-A", cwd=path)
    sh("git", "commit", "-q", "-m", "project", cwd=path)


def make_toy_world(base: Path) -> tuple[ToyProject, Path]:
    """(project, collection): a benchmark collection with toy_sim and an origin project at ``base``."""
    coll = base / "collection"
    bench = coll / "benchmarks" / "toybench"
    bench.mkdir(parents=True)
    (bench / "benchmark.py").write_text("def train(ctx):\n    pass\n")
    (bench / "dataset.py").write_text(TOY_DATASET)
    (coll / "conf" / "dataset").mkdir(parents=True)
    (coll / "conf" / "dataset" / "toy_sim.yaml").write_text(
        "name: toy_sim\nversion: '2.1'\nbenchmark: toybench\ndescription: a toy\nscales: {tiny: {}}\n")
    origin = base / "origin"
    _git_project(origin)
    return ToyProject(base, origin), coll


@pytest.fixture()
def toy_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ToyProject:
    toy, coll = make_toy_world(tmp_path)
    monkeypatch.setenv("SCIML_MLFLOW_BENCHMARKS", str(coll))
    monkeypatch.setenv("SCIML_DATA_DIR", str(toy.origin / "data"))
    monkeypatch.delenv("SCIML_DVC_REMOTES", raising=False)
    return toy
