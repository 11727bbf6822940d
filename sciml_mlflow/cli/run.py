"""``sciml-mlflow run benchmark=... [Hydra options]``: the run app from the tool's own command.

Everything after ``run`` goes to the Hydra app unchanged (same as ``python -m sciml_mlflow`` and the
``sciml-mlflow-run`` entry point, which is the one to use for shell completion:
``eval "$(sciml-mlflow-run -sc install=bash)"``).  ``cli.main`` hands the arguments over before its own
parser sees them, so Hydra options such as ``--cfg job`` or ``-m`` are never taken for the tool's.
"""

from __future__ import annotations

import argparse
from typing import Any, List


def run_app(argv: List[str]) -> int:
    from sciml_mlflow.cli.hydra_app import main

    main(argv)
    return 0


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "run", help="run a benchmark (Hydra app: sciml-mlflow run benchmark=dms_structure --cfg job ...)",
        description="Run the Hydra app with the remaining arguments (overrides and Hydra options in any order).",
        add_help=False)
    p.add_argument("hydra_args", nargs=argparse.REMAINDER)
    p.set_defaults(func=lambda args: run_app(list(args.hydra_args)))


__all__ = ["register", "run_app"]
