"""``sciml-mlflow report``: figures of merit computed from the tracking store, as tables, plots, HTML."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    from sciml_mlflow.cli.check import add_selection

    p = subparsers.add_parser(
        "report", help="figures of merit over stored runs: Markdown, CSV, PNG, self-contained HTML",
        description="Compute the figures of merit of a report config (conf/report/<name>.yaml or a YAML path) "
                    "over the runs of the tracking store, grouped and ranked; writes report.md, report.csv, "
                    "runs.csv, *.png and report.html, and logs them to a 'report' MLflow run.")
    add_selection(p)
    p.add_argument("-c", "--config", default="default", help="report config name or YAML path (default: default)")
    p.add_argument("-o", "--out", default="report", help="output folder (default: ./report)")
    p.add_argument("--group-by", action="append", default=None, help="group keys (tags or dotted params); replaces the config's")
    p.add_argument("--mode", default=None, help="tag mode to keep (overrides the config; 'all' for every mode)")
    p.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    p.add_argument("--no-log", action="store_true", help="do not log the outputs to an MLflow report run")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from sciml_mlflow.cli.check import selection_tags
    from sciml_mlflow.report.build import build_report
    from sciml_mlflow.tracking.runstore import default_uri
    from sciml_mlflow.report.schema import load_report_config, validate

    cfg = load_report_config(args.config)
    if args.experiment:
        cfg.experiments = list(args.experiment)
    if args.filter:
        cfg.filter = args.filter
    if args.group_by:
        cfg.group_by = list(args.group_by)
    if args.mode:
        cfg.mode = None if args.mode == "all" else args.mode
    if args.no_log:
        cfg.log_to_mlflow = False
    validate(cfg)
    uri = args.tracking_uri or default_uri()
    res = build_report(uri, cfg, Path(args.out), selection_tags(args), plots=not args.no_plots)
    n = sum(len(g.runs) for g in res.summary.groups)
    print(Path(res.files["markdown"]).read_text())
    print(f"{n} runs in {len(res.summary.groups)} groups -> {Path(args.out).resolve()}/ "
          f"(report.md, report.csv, runs.csv, report.html, {sum(1 for k in res.files if k.startswith('png:'))} PNG)")
    if res.run_id:
        print(f"logged as artifacts of MLflow run {res.run_id} (experiment {cfg.report_experiment!r})")
    return 0 if n else 1
