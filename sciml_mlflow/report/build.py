"""``build_report``: store -> figures -> tables, plots, HTML -> files (and a "report" MLflow run).

Everything is recomputed from the stored runs each time, so a figure of merit added to the report
config after the runs exist is computed over them like any other.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Mapping, Optional

from sciml_mlflow.report.figures import history_keys
from sciml_mlflow.tracking.runstore import RunRecord, load_runs
from sciml_mlflow.report.schema import ReportConfig
from sciml_mlflow.report.summary import Summary, groups_csv, markdown, runs_csv, summarize
from sciml_mlflow.tracking.redact import strip_uri_credentials

log = logging.getLogger(__name__)


@dataclass
class ReportResult:
    summary: Summary
    files: Dict[str, Path] = field(default_factory=dict)  # role -> path
    run_id: Optional[str] = None  # the MLflow report run, when logged
    timings: Dict[str, float] = field(default_factory=dict)


def select_runs(uri: str, cfg: ReportConfig, tag_equals: Optional[Mapping[str, str]] = None) -> list[RunRecord]:
    tags = dict(tag_equals or {})
    if cfg.mode:
        tags.setdefault("mode", cfg.mode)
    return load_runs(uri, cfg.experiments, cfg.filter, tags, cfg.statuses, history_keys(cfg.figures, cfg))


def build_report(uri: str, cfg: ReportConfig, out_dir: Path, tag_equals: Optional[Mapping[str, str]] = None,
                 plots: bool = True) -> ReportResult:
    """Compute the report over the runs of ``uri`` selected by ``cfg`` and write it into ``out_dir``."""
    t0 = time.perf_counter()
    runs = select_runs(uri, cfg, tag_equals)
    t1 = time.perf_counter()
    summary = summarize(runs, cfg)
    t2 = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {"markdown": out_dir / "report.md", "csv": out_dir / "report.csv", "runs_csv": out_dir / "runs.csv"}
    from sciml_mlflow.report import scale

    at_scale = scale.throughput_at_scale(runs)
    files["markdown"].write_text(markdown(summary) + scale.markdown(at_scale))
    if at_scale:
        files["scale_csv"] = out_dir / "scale.csv"
        files["scale_csv"].write_text(scale.to_csv(at_scale))
    files["csv"].write_text(groups_csv(summary))
    files["runs_csv"].write_text(runs_csv(summary))
    from sciml_mlflow.report.latex import latex_table  # i12: the table ready to paste into a paper

    files["latex"] = out_dir / "report.tex"
    files["latex"].write_text(latex_table(summary))
    pngs: Dict[str, Path] = {}
    if plots:
        from sciml_mlflow.report.plots import draw

        pngs = draw(summary, out_dir)
        for caption, p in pngs.items():
            files[f"png:{p.stem}"] = p
    from sciml_mlflow.report.html import render

    files["html"] = out_dir / "report.html"
    files["html"].write_text(render(summary, pngs, strip_uri_credentials(uri)))
    t3 = time.perf_counter()
    result = ReportResult(summary, files, timings={"read_s": t1 - t0, "compute_s": t2 - t1, "render_s": t3 - t2})
    log.info("report over %d runs in %d groups: read %.2fs, compute %.2fs, render %.2fs", len(runs),
             len(summary.groups), t1 - t0, t2 - t1, t3 - t2)
    if cfg.log_to_mlflow:
        result.run_id = _log_run(uri, cfg, out_dir, len(runs), len(summary.groups))
    return result


def _log_run(uri: str, cfg: ReportConfig, out_dir: Path, n_runs: int, n_groups: int) -> str:
    """A "report" run holding the outputs, so they show in the MLflow UI next to the runs."""
    from sciml_mlflow.tracking.store import connect, ensure_experiment

    client = connect(uri)
    root = cfg.artifact_root
    if root is None and uri.startswith("sqlite:///"):  # next to the store, like tracking=local (never ./mlruns)
        root = str(Path(uri[len("sqlite:///"):]).expanduser().parent / "artifacts")
    exp_id = ensure_experiment(client, cfg.report_experiment, root)
    run = client.create_run(exp_id, run_name=cfg.title, tags={"mode": "report", "report.runs": str(n_runs),
                                                              "report.groups": str(n_groups)})
    try:
        client.log_artifacts(run.info.run_id, str(out_dir), "report")
        client.set_terminated(run.info.run_id, "FINISHED")
    except Exception:
        client.set_terminated(run.info.run_id, "FAILED")
        raise
    return run.info.run_id


__all__ = ["ReportResult", "build_report", "select_runs"]
