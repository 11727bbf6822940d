"""The run app as a user types it: option orders, --help, output folders, the `run` command, completion.

Each case is one short process that composes (``--cfg``/``--info``/``--help`` never start a run); one toy
run checks where Hydra's folders go and that none of them holds a model.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import run_cli

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("args", [
    ["benchmark=em_denoise", "--cfg", "job", "seed=7"],
    ["--cfg", "job", "benchmark=em_denoise", "seed=7"],
    ["seed=7", "--cfg", "job", "--resolve", "benchmark=em_denoise"],
    ["benchmark=em_denoise", "hardware=auto", "-c", "job", "seed=7"],
])
def test_cfg_job_works_in_any_order(args, sciml_home):
    proc = run_cli(args, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    cfg = yaml.safe_load(proc.stdout)
    assert cfg["benchmark"]["name"] == "em_denoise" and cfg["seed"] == 7
    assert cfg["hardware"]["name"] == "cpu"  # detected, added after the overrides


def test_info_and_multirun_cfg_work_after_overrides(sciml_home):
    proc = run_cli(["benchmark=slstr_cloud", "--info", "defaults", "seed=3"], timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "benchmark/slstr_cloud" in proc.stdout and "hardware/cpu" in proc.stdout
    proc = run_cli(["seed=1", "--cfg", "hydra", "-p", "hydra.sweep.dir", "--resolve"], timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert str(sciml_home / "hydra" / "multirun") in proc.stdout  # under the home, never the cwd


def test_help_lists_only_selectable_groups(sciml_home):
    proc = run_cli(["benchmark=em_denoise", "--help"], timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    groups = proc.stdout.split("== Configuration groups ==")[1].split("== Config ==")[0]
    names = {line.split(":")[0] for line in groups.splitlines() if ":" in line and not line.startswith("Compose")}
    assert names == {"benchmark", "hardware", "rules", "tracking"}, groups
    assert "em_denoise" in groups and "a100" in groups


def test_a_run_leaves_the_cwd_empty_and_no_model_in_hydras_folder(make_benchmark, mlflow_client, sciml_home,
                                                                   tmp_path):
    make_benchmark("toy_cli", '''
def train(ctx):
    ctx.metrics.log("val_accuracy", 0.9, step=0)
    (ctx.model_dir / "model.txt").write_text("weights")
''')
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    # -m after the overrides, the detected hardware added: the order that used to fail
    proc = run_cli(["benchmark=toy_cli", "progress=false", "-m", "seed=1,2"], cwd=cwd, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert list(cwd.iterdir()) == []
    hydra_files = [p for p in (sciml_home / "hydra" / "multirun").rglob("*") if p.is_file()]
    assert sum(p.name == "config.yaml" and p.parent.name == ".hydra" for p in hydra_files) == 2  # Hydra's own record of each job is there
    assert not any(p.name == "model.txt" for p in hydra_files)
    runs = mlflow_client.search_runs([mlflow_client.get_experiment_by_name("toy_cli").experiment_id],
                                     filter_string="tags.mode = 'train'")
    jobs = [r for r in runs if r.data.tags.get("sweep.role") != "parent"]
    assert sorted(r.data.tags["seed"] for r in jobs) == ["1", "2"]
    # names tell the jobs apart: the swept seed, not the shared progress=false
    assert sorted(r.info.run_name for r in jobs) == ["toy_cli seed=1", "toy_cli seed=2"]
    for run in jobs:
        assert "model/model.txt" in {a.path for a in mlflow_client.list_artifacts(run.info.run_id, "model")}


def _hydra_entry(args, env=None):
    code = ("import sys; sys.argv = ['sciml-mlflow-run'] + sys.argv[1:]; "
            "from sciml_mlflow.cli.hydra_app import main; main()")
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})


def test_shell_completion_of_the_entry_point_completes_groups_and_options(sciml_home):
    install = _hydra_entry(["-sc", "install=bash"])
    assert install.returncode == 0 and "complete -o nospace -o default -F hydra_bash_completion sciml-mlflow-run" \
        in install.stdout
    query = _hydra_entry(["-sc", "query=bash"], env={"COMP_LINE": "sciml-mlflow-run benchmark="})
    assert set(query.stdout.split()) >= {"benchmark=dms_structure", "benchmark=em_denoise", "benchmark=slstr_cloud"}


def test_the_tools_run_command_passes_hydra_options_through(sciml_home):
    proc = subprocess.run([sys.executable, "-m", "sciml_mlflow.cli.main", "run", "benchmark=em_denoise",
                           "--cfg", "job", "-p", "benchmark.name"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "em_denoise"
