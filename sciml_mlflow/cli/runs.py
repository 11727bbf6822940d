"""``sciml-mlflow runs``: keep the store honest after crashes (reconcile) and push offline runs (sync)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("runs", help="reconcile zombie runs and metric journals; sync offline runs",
                              description="Maintenance of the runs in a tracking store.")
    sub = p.add_subparsers(dest="runs_command", metavar="ACTION", required=True)
    r = sub.add_parser(
        "reconcile", help="end lost runs FAILED and replay metric journals",
        description="End RUNNING runs of this framework whose heartbeat is older than --stale-after as FAILED "
                    "(reason=lost), after replaying their local metric journal; replay the journals of runs "
                    "whose last metrics never reached the store. Runs of other tools are never touched.")
    r.add_argument("--tracking-uri", default=None, help="store (default: $MLFLOW_TRACKING_URI or the local SQLite store)")
    r.add_argument("--stale-after", type=float, default=900.0, help="seconds without heartbeat before a run is lost (default 900)")
    r.add_argument("--journal-dir", type=Path, default=None, help="journal folder (default: $SCIML_MLFLOW_HOME/journal)")
    r.set_defaults(func=run_reconcile)
    s = sub.add_parser(
        "sync", help="push runs recorded offline (local store) to a shared tracking server",
        description="Copy every ended run of the source store that the target does not hold yet: params, tags, "
                    "metric histories with their timestamps, dataset inputs, artifacts, start/end time and status. "
                    "The source run id is kept as tag sciml.origin.run_id (run again: nothing is copied twice).")
    s.add_argument("--to", required=True, help="target tracking URI (e.g. http://server:5000); credentials from "
                                               "MLFLOW_TRACKING_USERNAME/PASSWORD in the environment")
    s.add_argument("--from", dest="source", default=None, help="source store (default: the local SQLite store)")
    s.add_argument("--experiment", action="append", default=None, help="only these experiments (repeatable)")
    s.set_defaults(func=run_sync)


def run_reconcile(args: argparse.Namespace) -> int:
    from sciml_mlflow.errors import ConfigError
    from sciml_mlflow.tracking.runstore import default_uri
    from sciml_mlflow.tracking import store
    from sciml_mlflow.tracking.reconcile import reconcile
    from sciml_mlflow.tracking.redact import strip_uri_credentials

    if args.stale_after <= 0:
        raise ConfigError(f"--stale-after={args.stale_after}: expected seconds > 0")
    uri = args.tracking_uri or default_uri()
    client = store.connect(uri)
    report = reconcile(client, args.stale_after, args.journal_dir)
    for run_id, reason in report.ended:
        print(f"ended FAILED  {run_id}  {reason}")
    for run_id, n in report.replayed.items():
        print(f"replayed      {run_id}  {n} metric row(s) from its journal")
    print(f"{strip_uri_credentials(uri)}: {len(report.ended)} lost run(s) ended, "
          f"{sum(report.replayed.values())} row(s) replayed, {report.alive} alive run(s) left alone")
    return 0


def run_sync(args: argparse.Namespace) -> int:
    from sciml_mlflow.errors import ConfigError
    from sciml_mlflow.tracking.runstore import default_uri
    from sciml_mlflow.tracking import store
    from sciml_mlflow.tracking.redact import strip_uri_credentials
    from sciml_mlflow.tracking.sync import sync

    source_uri = args.source or default_uri()
    if source_uri == args.to:
        raise ConfigError(f"--from and --to are the same store ({strip_uri_credentials(source_uri)}); "
                          "sync copies from a local store to another one")
    source = store.connect(source_uri)
    target = store.connect(args.to)
    report = sync(source, target, strip_uri_credentials(source_uri), args.experiment)
    for old, new in report.copied.items():
        print(f"copied   {old} -> {new}")
    for rid in report.skipped_running:
        print(f"skipped  {rid} (RUNNING: alive, or a zombie `sciml-mlflow runs reconcile` ends)")
    print(f"{strip_uri_credentials(source_uri)} -> {strip_uri_credentials(args.to)}: {len(report.copied)} run(s) copied, "
          f"{report.already} already there, {len(report.skipped_running)} RUNNING skipped")
    return 0
