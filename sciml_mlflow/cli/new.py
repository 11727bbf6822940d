"""``sciml-mlflow new <name>``: scaffold a benchmark (folder, card, dataset card, README) that passes the
contract test as written."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: "argparse._SubParsersAction") -> None:
    p = subparsers.add_parser("new", help="scaffold a new benchmark (folder, card, README)",
                              description="Write benchmarks/<name>/ and conf/benchmark/<name>.yaml from the template.")
    p.add_argument("name", help="benchmark name (lower case, digits, underscores)")
    p.add_argument("--root", type=Path, default=None,
                   help="checkout or collection to write into (default: this checkout, else the current directory)")
    p.set_defaults(func=_new)


def _new(args: argparse.Namespace) -> int:
    from sciml_mlflow.cli.scaffold import scaffold
    from sciml_mlflow.core.resources import checkout_root

    root = args.root or checkout_root() or Path.cwd()
    for path in scaffold(args.name, root):
        print(f"wrote {path}")
    print(f"next: python -m sciml_mlflow benchmark={args.name} benchmark.dataset.scale=tiny")
    return 0
