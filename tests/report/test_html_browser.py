"""The report's HTML page in a real headless Chromium: loaded from disk, tables and inline images render.

Debian's chromium (scripts/setup.sh installs it) driven by playwright; playwright's own browser download
is not used (offline clusters and CI have none).  The screenshot stays in the test's tmp dir.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sciml_mlflow.report.build import build_report
from sciml_mlflow.report.schema import load_report_config

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.mark.services
def test_report_page_renders_in_chromium(craft_run, mlflow_client, tmp_path, screenshot_dir):
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.skip(f"no Chromium at {CHROMIUM}: apt-get install -y chromium (scripts/setup.sh does)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright python package is not installed")
    for hw in ("cpu", "a100"):
        for seed in range(3):
            craft_run(hardware=hw, seed=seed, accs=(0.6, 0.91 + 0.01 * seed), test_accuracy=0.9 + 0.01 * seed,
                      energy=(0.0, 50.0, 100.0), throughput=100.0)
    craft_run(hardware="cpu", seed=2, accs=(0.6, 0.92), test_accuracy=0.9, digest="d2")  # seed 2 again, other data
    em = {"benchmark.name": "em_denoise", "benchmark.dataset.name": "em_graphene_sim", "benchmark.headline": '["test_psnr", "test_ssim"]',
          "benchmark.target.metric": "val_psnr", "benchmark.target.value": "32.0"}
    for seed in range(2):
        craft_run(experiment="em_denoise", seed=seed, accs=(0.6, 0.7), params=em, tags={"benchmark": "em_denoise"},
                  extra_metrics={"test_psnr": 33.0 + seed, "test_ssim": 0.96})
    cfg = load_report_config("default")
    cfg.log_to_mlflow = False
    res = build_report(mlflow_client.tracking_uri, cfg, tmp_path / "out")
    page_file = Path(res.files["html"])

    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            requests = []
            page.on("request", lambda r: requests.append(r.url))
            page.goto(page_file.as_uri(), wait_until="load")
            dms, em = page.locator("table.groups[data-benchmark='dms_structure']"), \
                page.locator("table.groups[data-benchmark='em_denoise']")
            assert dms.locator("tbody tr").count() == 2 and "a100" in dms.inner_text()
            assert [r.split("\t")[0] for r in dms.locator("tbody tr").all_inner_texts()] == ["1", "2"]  # one ranking
            flagged = dms.locator("tbody tr", has_text="duplicate seed 2 (x2)")
            assert flagged.count() == 1 and "mixed datasets: d1, d2" in flagged.inner_text()
            em_head = em.locator("thead").inner_text()
            assert "test_psnr" in em_head and "test_ssim" in em_head and "test_accuracy" not in em_head
            assert "33.5 ±" in em.locator("tbody").inner_text()
            widths = page.eval_on_selector_all("img", "imgs => imgs.map(i => i.complete ? i.naturalWidth : 0)")
            assert len(widths) >= 3 and all(w > 0 for w in widths), widths
            captions = page.locator("figcaption").all_inner_texts()
            assert "dms_structure: test_accuracy vs time_to_target (Pareto front)" in captions, captions
            assert "Learning curves" in captions
            shot = screenshot_dir / "report.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000
            assert all(u.startswith(("file:", "data:")) for u in requests), requests  # self-contained: no network
        finally:
            browser.close()
