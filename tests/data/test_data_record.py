"""dvc.lock is current with the generators, and the stages depend on exactly what produces the bytes."""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from sciml_mlflow.data.project import DvcProject

ROOT = Path(__file__).resolve().parents[2]
BENCHMARKS = {"dms_sim": "dms_structure", "slstr_sim": "slstr_cloud", "em_sim": "em_denoise"}


def test_tiny_and_small_are_recorded_for_every_dataset() -> None:
    project = DvcProject(ROOT)
    for name in BENCHMARKS:
        for scale in ("tiny", "small"):
            rec = project.record(f"data/{name}/{scale}")
            assert rec is not None and rec.md5.endswith(".dir"), f"dvc.lock lacks data/{name}/{scale}"


def test_stage_deps_are_the_generator_files_and_the_generate_command() -> None:
    stage = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]["generate"]
    assert stage["do"]["deps"] == ["benchmarks/${item.benchmark}/generate.py", "benchmarks/${item.benchmark}/physics.py",
                                   "sciml_mlflow/data/generate.py"]
    assert stage["do"]["cmd"].startswith("python -m sciml_mlflow.data.generate ")
    for bench in BENCHMARKS.values():  # the generator imports nothing of its package but physics: deps complete
        for f in ("generate.py", "physics.py"):
            tree = ast.parse((ROOT / "benchmarks" / bench / f).read_text())
            relative = {(n.module or "") + ":" + ",".join(a.name for a in n.names)
                        for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level}
            allowed = {":physics"} | {r for r in relative if r.startswith("physics:")}
            assert relative <= allowed if f == "generate.py" else not relative, (bench, f, relative)


def test_dvc_lock_deps_match_the_committed_generator_files() -> None:
    """Fails when a generator changes without `dvc repro` re-recording dvc.lock (what dvc status would say)."""
    project = DvcProject(ROOT)
    lock = yaml.safe_load((ROOT / "dvc.lock").read_text())["stages"]
    assert lock, "dvc.lock records nothing"
    stale = {stage: project.dep_changes(stage) for stage in lock if project.dep_changes(stage)}
    assert not stale, f"generator changed since dvc.lock was recorded: {stale}; run `dvc repro` for those stages"


def test_a_changed_generator_is_detected(tmp_path: Path) -> None:
    for rel in ["dvc.yaml", "dvc.lock", "sciml_mlflow/data/generate.py",
                *[f"benchmarks/{b}/{f}" for b in BENCHMARKS.values() for f in ("generate.py", "physics.py")]]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / rel, tmp_path / rel)
    (tmp_path / ".dvc").mkdir()
    copy = DvcProject(tmp_path)
    assert copy.dep_changes("generate@em_sim-tiny") == []
    with open(tmp_path / "benchmarks/em_denoise/physics.py", "a") as f:
        f.write("\nCARBON_PEAK = 0.61\n")
    assert copy.dep_changes("generate@em_sim-tiny") == ["benchmarks/em_denoise/physics.py"]
    assert copy.dep_changes("generate@dms_sim-tiny") == []


def test_dvc_status_reports_no_changed_deps() -> None:
    """DVC's own view agrees: no stage has changed deps (outs may be absent: data/ is not committed)."""
    proc = subprocess.run([sys.executable, "-m", "dvc", "status", "--json"], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    status = json.loads(proc.stdout or "{}")
    changed = {stage: entry for stage, entries in status.items() for entry in entries
               if isinstance(entry, dict) and "changed deps" in entry}
    assert not changed, changed
