#!/usr/bin/env python
"""A real one-host SLURM cluster for trying ``hydra/launcher=slurm`` locally (docs/sweeps.md).

    python scripts/slurm_cluster.py up [--dir DIR] [--cpus N] [--kill-wait S]   # prints the exports to paste
    eval "$(python scripts/slurm_cluster.py up)"                                 # ... or take them directly
    python scripts/slurm_cluster.py status [DIR]
    python scripts/slurm_cluster.py down [DIR]                                   # stops the daemons by pid

Needs Debian's slurmctld, slurmd, slurm-client and munge (``bash scripts/ci_services.sh`` installs them);
the daemons listen on 127.0.0.1 only and keep everything (config, MUNGE key, sockets, logs) in DIR.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sciml_mlflow.errors import SciMLError  # noqa: E402
from sciml_mlflow.sweep import cluster  # noqa: E402

LAST = Path(os.environ.get("SCIML_MLFLOW_HOME", Path.home() / ".sciml_mlflow")) / "slurm-cluster"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    up = sub.add_parser("up", help="start the cluster, print the environment to use it")
    up.add_argument("--dir", type=Path, default=None, help="folder for config, key, sockets, logs (default: temp)")
    up.add_argument("--cpus", type=int, default=None, help="CPUs of the partition (default: this machine's)")
    up.add_argument("--kill-wait", type=int, default=5, help="seconds between SIGTERM and SIGKILL at walltime")
    for name in ("status", "down"):
        s = sub.add_parser(name)
        s.add_argument("dir", type=Path, nargs="?", default=None, help="the cluster's folder (default: the last up)")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
    try:
        if args.cmd == "up":
            c = cluster.start(args.dir, cpus=args.cpus, kill_wait=args.kill_wait)
            LAST.parent.mkdir(parents=True, exist_ok=True)
            LAST.write_text(str(c.root))
            print(f"export SLURM_CONF={c.conf}")
            print(f"export SCIML_SLURM_PARTITION={c.partition}")
            print(f"export SCIML_SLURM_CPUS_PER_TASK=1")
            print(f"# {c.cpus} CPU(s) on node {c.node}; stop with: python scripts/slurm_cluster.py down {c.root}",
                  file=sys.stderr)
            return 0
        root = args.dir or (Path(LAST.read_text().strip()) if LAST.is_file() else None)
        if root is None:
            print("no cluster folder given and none started here before", file=sys.stderr)
            return 2
        c = cluster.Cluster.load(root)
        if args.cmd == "status":
            print(c.command("sinfo"), end="")
            print(c.command("squeue"), end="")
        else:
            c.stop()
            print(f"stopped the local SLURM cluster in {root}", file=sys.stderr)
        return 0
    except SciMLError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
