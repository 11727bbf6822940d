"""``sciml-mlflow export mlperf``: a sweep as an MLPerf submission folder, checked by MLCommons' own tools."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "export", help="export stored runs in other formats (mlperf: the MLPerf submission layout)",
        description="Export the runs of a sweep.  `export mlperf --sweep ID -o DIR` writes DIR/<org>/systems/, "
                    "results/<system>/<benchmark>/result_N.txt (MLLOG) and benchmarks/, then (unless --no-check) "
                    "runs mlperf-logging's system, compliance and seed checkers and its olympic scorer on it.")
    p.add_argument("format", choices=["mlperf"], help="export format")
    p.add_argument("--sweep", required=True, help="sweep id (tag sweep.id) whose training runs are exported")
    p.add_argument("-o", "--out", required=True, help="output folder")
    p.add_argument("--usage", choices=["training", "hpc"], default="training", help="MLPerf usage (layout and ruleset)")
    p.add_argument("--org", default=None, help="submitter name (default: the runs' rules.mllog_org)")
    p.add_argument("--tracking-uri", default=None, help="store to read (default: $MLFLOW_TRACKING_URI or the local SQLite store)")
    p.add_argument("--no-check", action="store_true", help="only write the layout")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import os

    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")  # one bar per run's log is noise here
    from sciml_mlflow.export.submission import export_mlperf
    from sciml_mlflow.tracking.runstore import default_uri

    uri = args.tracking_uri or default_uri()
    res = export_mlperf(uri, args.sweep, Path(args.out), args.usage, args.org)
    n = sum(len(v) for v in res.results.values())
    print(f"{n} result files -> {res.root.resolve()}")
    if args.no_check:
        return 0
    from sciml_mlflow.export.official import USAGES, check_package

    check = check_package(res.root, args.usage)
    print(f"mlperf-logging {args.usage} {USAGES[args.usage]}: system descriptions "
          f"{'ok' if check.systems_ok else 'FAILED'}; compliance {sum(check.logs_ok.values())}/{len(check.logs_ok)} "
          f"logs; seeds {'ok' if check.seeds_ok else 'FAILED'}")
    for key, minutes in check.scores_min.items():
        ours = res.ours_olympic_s.get(key)
        theirs = "-" if minutes is None else f"{minutes * 60:.3f} s"
        mine = "-" if ours is None else f"{ours:.3f} s"
        print(f"  {key[0]}/{key[1]}: result_summarizer olympic {theirs}; ours {mine}")
    return 0 if check.ok else 1
