"""A benchmark run as a user meets it: in MLflow's own UI, served by a real `mlflow server`, in Chromium.

The server is started through sciml_mlflow.server (one worker, no job runner) on a free loopback port
against the run's SQLite store, and stopped by pid.  Checked: the run name, science metrics before the
framework's own (which sit in System metrics), the trained model in the Models column, the model-training
view.  Screenshots go to ``$SCIML_TEST_SCREENSHOTS`` when set (the test's tmp folder otherwise).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from sciml_mlflow.run import run_benchmark
from tests.fixtures.mlflow_server import free_port

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

TOY = '''
def train(ctx):
    for epoch in range(ctx.hparams.epochs):
        ctx.metrics.log("train_loss", 1.0 / (epoch + 1), step=epoch)
        ctx.metrics.log("val_accuracy", 0.5 + 0.2 * epoch, step=epoch)
    with ctx.phase("training"):  # a framework metric: system/time_training_s
        pass
    (ctx.model_dir / "model.txt").write_text("weights")
    import torch

    ctx.log_model(torch.nn.Linear(4, 2), torch.zeros(1, 4))
'''


@pytest.mark.services
def test_training_run_shows_its_metrics_params_and_tags_in_the_mlflow_ui(make_benchmark, compose_cfg, mlflow_client,
                                                                         sciml_home, tmp_path, screenshot_dir):
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.skip(f"no Chromium at {CHROMIUM}: apt-get install -y chromium (scripts/setup.sh does)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright python package is not installed")
    from sciml_mlflow.server import process
    from sciml_mlflow.server.settings import ServerSettings

    make_benchmark("toy_ui", TOY)
    overrides = ["benchmark=toy_ui", "benchmark.training.epochs=3"]
    result = run_benchmark(compose_cfg(*overrides), tmp_path / "run", overrides)
    settings = ServerSettings(backend_store_uri=f"sqlite:///{sciml_home}/mlflow.db",
                              artifacts_destination=str(tmp_path / "served-artifacts"),
                              state_dir=tmp_path / "server", port=free_port())
    process.start(settings)
    try:
        with sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                exp, rid = result.experiment_id, result.run_id
                page.goto(f"{settings.url}/#/experiments/{exp}/runs/{rid}")
                page.get_by_text("val_accuracy").first.wait_for(timeout=60_000)
                body = page.inner_text("body")
                assert "toy_ui epochs=3 seed=42" in body  # the run name: benchmark, what differs, seed
                assert "train_loss" in body and "benchmark.training.epochs" in body
                assert "Finished" in body or "FINISHED" in body
                shot = screenshot_dir / "mlflow-ui-run.png"
                page.screenshot(path=str(shot), full_page=True)
                assert shot.stat().st_size > 20_000
                # the run page's Model metrics tab: the science only; the framework's keys are System metrics
                page.goto(f"{settings.url}/#/experiments/{exp}/runs/{rid}/model-metrics")
                page.get_by_text("val_accuracy").first.wait_for(timeout=60_000)
                charts = page.inner_text("body")
                assert "train_loss" in charts and "time_training_s" not in charts and "time_total_s" not in charts
                page.screenshot(path=str(screenshot_dir / "mlflow-ui-model-metrics.png"), full_page=True)
                page.goto(f"{settings.url}/#/experiments/{exp}/runs/{rid}/system-metrics")
                page.get_by_text("cpu_utilization_percentage").first.wait_for(timeout=60_000)  # our sampler's
                page.get_by_placeholder("Search metric charts").fill("time_")  # charts below the fold are lazy
                page.get_by_text("time_total_s").first.wait_for(timeout=30_000)
                page.get_by_text("time_training_s").first.wait_for(timeout=30_000)
                page.screenshot(path=str(screenshot_dir / "mlflow-ui-system-metrics.png"), full_page=True)
                # the experiment's chart view: "Model metrics" is the first section, "System metrics" the last
                page.goto(f"{settings.url}/#/experiments/{exp}/runs?compareRunsMode=CHART&workflowType=machine_learning")
                page.get_by_text("System metrics").first.wait_for(timeout=60_000)
                page.get_by_text("val_accuracy").first.wait_for(timeout=60_000)
                view = page.inner_text("body")
                page.screenshot(path=str(screenshot_dir / "mlflow-ui-chart-view.png"), full_page=True)
                sections = re.findall(r"^(\w[\w /.-]*)\n\(\d+\)$", view, flags=re.M)  # "<section>\n(<charts>)"
                assert sections == ["Model metrics", "System metrics"], sections  # no framework section first
                assert view.index("Model metrics") < view.index("val_accuracy") < view.index("System metrics")
                page.screenshot(path=str(screenshot_dir / "mlflow-ui-chart-view.png"), full_page=True)
                # the trained model: a logged MLflow model, linked from the runs table's Models column
                (model,) = [m for m in mlflow_client.search_logged_models([exp]) if m.source_run_id == rid]
                page.goto(f"{settings.url}/#/experiments/{exp}/runs?workflowType=machine_learning")
                page.get_by_text("toy_ui epochs=3 seed=42").first.wait_for(timeout=60_000)  # listed in the runs table
                page.set_viewport_size({"width": 2400, "height": 800})  # the Models column is the last one
                page.locator(f"a[href*='{model.model_id}']").first.wait_for(timeout=30_000)
                page.screenshot(path=str(screenshot_dir / "mlflow-ui-runs.png"), full_page=True)
                # the console's link opens the experiment as model training (runs table), not GenAI traces
                from sciml_mlflow.tracking.ui_links import experiment_url

                fresh = browser.new_page(viewport={"width": 1400, "height": 1000})  # no stored workflow type
                fresh.goto(experiment_url(settings.url, result.experiment_id))
                fresh.get_by_text("toy_ui epochs=3 seed=42").first.wait_for(timeout=60_000)
                assert "workflowType=machine_learning" in fresh.url
                fresh.screenshot(path=str(screenshot_dir / "mlflow-ui-experiment-ml.png"), full_page=True)
            finally:
                browser.close()
    finally:
        assert process.stop(settings.state_dir)
