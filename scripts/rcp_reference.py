"""Write conf/rcp/<benchmark>.json from a reference sweep (>= 5 seeds, closed rules, the card's settings).

    python -m sciml_mlflow -m benchmark=dms_structure rules=closed rules.mllog=true seed=1,2,3,4,5
    python scripts/rcp_reference.py --sweep <sweep id> [--tracking-uri URI]

Prints the epochs to target per seed, their mean and spread, and the plausibility bound.
"""

from __future__ import annotations

import argparse
import datetime
import sys


def main() -> int:
    from sciml_mlflow.tracking.runstore import default_uri, load_runs
    from sciml_mlflow.rules.rcp import build_rcp, write_rcp

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sweep", required=True)
    ap.add_argument("--tracking-uri", default=None)
    args = ap.parse_args()
    uri = args.tracking_uri or default_uri()
    runs = load_runs(uri, tag_equals={"sweep.id": args.sweep, "mode": "train"})
    benchmarks = sorted({r.tags.get("benchmark") for r in runs})
    if len(benchmarks) != 1:
        print(f"sweep {args.sweep}: expected the runs of one benchmark, found {benchmarks}", file=sys.stderr)
        return 2
    commits = sorted({r.tags.get("git.commit", "unknown") for r in runs})
    rcp = build_rcp(runs, {"sweep": args.sweep, "git_commits": commits, "hardware": sorted({r.tags.get("hardware") for r in runs}),
                           "written": datetime.date.today().isoformat()})
    path = write_rcp(rcp)
    print(f"{rcp.benchmark} at {rcp.scale}, batch {rcp.batch_size}: epochs to {rcp.metric} {rcp.target} per seed "
          f"{dict(zip(rcp.seeds, rcp.epochs_to_target))}; mean {rcp.mean:.2f}, stdev {rcp.stdev:.2f}; "
          f"implausible below {rcp.min_plausible:.2f} -> {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
