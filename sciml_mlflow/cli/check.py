"""``sciml-mlflow check``: re-check stored runs against the rules (post-hoc compliance)."""

from __future__ import annotations

import argparse
from typing import Any, Dict, List


def _pairs(items: List[str]) -> Dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise argparse.ArgumentTypeError(f"--tag {item!r}: expected KEY=VALUE")
        out[key] = value
    return out


def add_selection(p: argparse.ArgumentParser) -> None:
    """Run selection shared by check and report."""
    p.add_argument("--tracking-uri", default=None, help="store to read (default: $MLFLOW_TRACKING_URI or the local SQLite store)")
    p.add_argument("-e", "--experiment", action="append", default=[], help="experiment name (repeatable; default: all)")
    p.add_argument("--sweep", default=None, help="only runs of this sweep (tag sweep.id)")
    p.add_argument("--tag", action="append", default=[], metavar="KEY=VALUE", help="only runs with this tag (repeatable)")
    p.add_argument("--filter", default=None, help="MLflow search filter, e.g. \"params.`benchmark.training.batch_size` = '64'\"")


def selection_tags(args: argparse.Namespace) -> Dict[str, str]:
    tags = _pairs(args.tag)
    if args.sweep:
        tags["sweep.id"] = args.sweep
    return tags


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "check", help="re-check stored runs against the rules (seeds, dataset, convergence, run count)",
        description="Re-evaluate runs from the tracking store against the benchmark rule tables "
                    "(conf/ruletables/): hyperparameter constraints, dataset identity, hardware match, "
                    "convergence, distinct seeds, enough runs.  Exit 0 when every result is compliant, 1 otherwise.")
    add_selection(p)
    p.add_argument("--group-by", action="append", default=None, help="keys forming one result (default: benchmark, hardware)")
    p.add_argument("--mode", default="train", help="tag mode to keep (default train; 'all' for every mode)")
    p.add_argument("--table-dir", default=None, help="folder of rule tables (default: conf/ruletables)")
    p.add_argument("--all", action="store_true", help="show passed checks too")
    p.add_argument("--json", default=None, metavar="PATH", help="also write every check as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from sciml_mlflow.tracking.runstore import default_uri, load_runs
    from sciml_mlflow.rules.checker import check_runs, target_metrics, to_json

    uri = args.tracking_uri or default_uri()
    tags = selection_tags(args)
    if args.mode != "all":
        tags["mode"] = args.mode
    runs = load_runs(uri, args.experiment, args.filter, tags, ("FINISHED",), target_metrics(args.table_dir))
    if not runs:
        print("no finished runs match the selection")
        return 1
    results = check_runs(runs, args.group_by or ["benchmark", "hardware"], args.table_dir)
    bad = 0
    for r in results:
        name = " / ".join(r.key)
        table = f"table {r.table.table.version}" if r.table else "no table"
        print(f"{'PASS' if r.compliant else 'FAIL'}  {name}: {len(r.runs)} run(s), {table}")
        shown = [("*", c) for c in r.checks] + [(rc.run.run_id, c) for rc in r.runs for c in rc.checks] \
            if args.all else r.failures()
        for rid, c in shown:
            mark = "ok  " if c.ok else ("----" if c.ok is None else "FAIL")
            print(f"   {mark} {rid[:12]:12} {c.check:14} {c.key:40} {c.value[:30]:30} {c.constraint[:40]:40} {c.message}")
        bad += not r.compliant
    if args.json:
        with open(args.json, "w") as fh:
            fh.write(to_json(results))
    print(f"{len(results) - bad}/{len(results)} result(s) compliant")
    return 0 if bad == 0 else 1
