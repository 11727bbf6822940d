"""After the quick start on a fresh clone, `git status --porcelain` is empty and `dvc status` is clean for
the dataset it used: the run generated the recorded bytes (no remote has them) and wrote no committed file.

The clone is of the committed HEAD (CI's checkout); em_denoise at tiny stands in for dms_structure at
small to keep CI short — staging is the same code for every benchmark and scale.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_quick_start_on_a_fresh_clone_leaves_git_status_empty(tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCIML_DATA_DIR", "SCIML_DVC_REMOTES",
                                                                    "SCIML_MLFLOW_BENCHMARKS", "MLFLOW_"))}
    env.update({"PYTHONPATH": str(clone), "SCIML_MLFLOW_HOME": str(tmp_path / "home"), "SCIML_PROGRESS": "0",
                "PATH": os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])})
    run = subprocess.run([sys.executable, "-m", "sciml_mlflow", "benchmark=em_denoise", "benchmark.dataset.scale=tiny",
                          "benchmark.model=small", "benchmark.training.epochs=1", "progress=false"],
                         cwd=clone, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "hash matches dvc.lock" in run.stderr + run.stdout  # generated here, and it is the record
    status = subprocess.run(["git", "status", "--porcelain"], cwd=clone, capture_output=True, text=True, check=True)
    assert status.stdout == "", status.stdout
    dvc = subprocess.run([sys.executable, "-m", "dvc", "status", "generate@em_sim-tiny"], cwd=clone, env=env,
                         capture_output=True, text=True)
    assert dvc.returncode == 0 and "changed" not in dvc.stdout, dvc.stdout
