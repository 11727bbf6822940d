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
def test_mlflow_run_maps_parameters_and_adopts_the_project_run(make_benchmark, mlflow_client, sciml_home):
    make_benchmark("toy_project", TOY)
    mlflow = shutil.which("mlflow", path=str(Path(os.sys.executable).parent)) or "mlflow"
    uri = f"sqlite:///{sciml_home}/mlflow.db"
    out = subprocess.run(
        [mlflow, "run", str(ROOT), "-P", "benchmark=toy_project", "-P", "seed=5",
         "-P", "overrides=benchmark.training.epochs=3 progress=false", "--env-manager", "local",
         "--experiment-name", "toy_project"],
        capture_output=True, text=True, timeout=300, env={**os.environ, "MLFLOW_TRACKING_URI": uri})
    assert out.returncode == 0, out.stderr[-2000:]
    exp = mlflow_client.get_experiment_by_name("toy_project")
    (run,) = mlflow_client.search_runs([exp.experiment_id])  # one run: the project run *is* the benchmark run
    assert run.info.status == "FINISHED"
    assert run.data.params["benchmark.training.epochs"] == "3" and run.data.params["seed"] == "5"
    assert run.data.tags["benchmark"] == "toy_project" and run.data.tags["hardware"] == "cpu"
    assert len(mlflow_client.get_metric_history(run.info.run_id, "train_loss")) == 3
