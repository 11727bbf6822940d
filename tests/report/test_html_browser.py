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
            rows = page.locator("table#groups tbody tr")
            assert rows.count() == 2
            assert "a100" in page.locator("table#groups").inner_text()
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
