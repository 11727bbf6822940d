"""`mlflow run . -P ... --env-manager local` maps parameters to Hydra overrides and is one benchmark run."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.machine import cpu_only

ROOT = Path(__file__).resolve().parents[2]

TOY = '''
def train(ctx):
    for epoch in range(ctx.hparams.epochs):
        ctx.metrics.log("train_loss", 1.0 / (epoch + 1), step=epoch)
    (ctx.model_dir / "model.txt").write_text(str(ctx.seed))
'''


@pytest.mark.slow
@cpu_only
def test_mlflow_run_records_in_the_benchmarks_experiment_with_the_run_apps_params(make_benchmark, mlflow_client,
                                                                                   sciml_home):
    make_benchmark("toy_project", TOY)
    mlflow = shutil.which("mlflow", path=str(Path(os.sys.executable).parent)) or "mlflow"
    uri = f"sqlite:///{sciml_home}/mlflow.db"
    out = subprocess.run(
        [mlflow, "run", str(ROOT), "-P", "benchmark=toy_project", "-P", "seed=5",
         "-P", "overrides=benchmark.training.epochs=3 progress=false", "--env-manager", "local"],
        capture_output=True, text=True, timeout=300, env={**os.environ, "MLFLOW_TRACKING_URI": uri})
    assert out.returncode == 0, out.stderr[-2000:]
    exp = mlflow_client.get_experiment_by_name("toy_project")  # the benchmark's experiment, not "Default"
    (run,) = mlflow_client.search_runs([exp.experiment_id])
    assert run.info.status == "FINISHED"
    assert f"(experiment {exp.experiment_id})" in out.stdout  # what the console says is where it is
    assert run.info.artifact_uri.startswith((sciml_home / "artifacts").as_uri()) or \
        run.info.artifact_uri.startswith(str(sciml_home / "artifacts"))  # the configured artifact store
    params = run.data.params
    assert params["benchmark.training.epochs"] == "3" and params["seed"] == "5" and params["hardware.name"] == "cpu"
    assert "overrides" not in params and params.get("hardware") is None  # no project-parameter strays
    assert run.data.tags["benchmark"] == "toy_project" and run.data.tags["hardware"] == "cpu"
    assert len(mlflow_client.get_metric_history(run.info.run_id, "train_loss")) == 3
    # the run `mlflow run` opened itself is only the launcher, linked to the benchmark run
    (launcher,) = mlflow_client.search_runs(["0"])
    assert launcher.data.tags["sciml.benchmark_run_ids"] == run.info.run_id
    assert launcher.data.tags["sciml.benchmark_experiment_id"] == exp.experiment_id


def test_project_parameters_become_the_run_apps_overrides():
    from sciml_mlflow.cli.mlproject import overrides_from

    assert overrides_from("em_denoise", "auto", "train", "3", "") == ["benchmark=em_denoise", "mode=train", "seed=3"]
    assert overrides_from("em_denoise", "a100", "inference", "1", "a=1 'tags.note=two words'") == [
        "benchmark=em_denoise", "mode=inference", "seed=1", "hardware=a100", "a=1", "tags.note=two words"]
