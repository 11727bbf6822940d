"""``sciml-mlflow``: the tool around runs (data, check, report, server, sweep, new).

Runs themselves start with ``python -m sciml_mlflow`` (Hydra).  Each subcommand lives in its own module
``sciml_mlflow.cli.<name>`` exposing ``register(subparsers)``; registration imports nothing heavy, so
``sciml-mlflow --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from typing import List, Optional

COMMANDS = ["run", "data", "check", "report", "server", "sweep", "runs", "export", "new"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sciml-mlflow",
        description="Scientific ML benchmarks through Hydra, DVC and MLflow. "
        "Start a run with `sciml-mlflow run benchmark=<name>` (or `python -m sciml_mlflow ...`, `sciml-mlflow-run ...`); this tool also manages data, checks and reports.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"sciml_mlflow.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"sciml_mlflow.cli.{name}":
                continue  # that command is not part of this build
            raise
        module.register(sub)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    from sciml_mlflow.errors import SciMLError
    from sciml_mlflow.tracking.redact import redact_console

    redact_console()
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["run"]:  # the Hydra app owns every argument after `run` (--help, --cfg, -m ...)
        from sciml_mlflow.cli.run import run_app

        return run_app(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(levelname)s %(name)s: %(message)s")
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except SciMLError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2 if exc.__class__.__name__.endswith(("ConfigError", "NotFoundError", "NotDefinedError")) else 1


def console() -> None:
    """The ``sciml-mlflow`` console script; ``sciml-mlflow run`` ends without the interpreter's teardown."""
    from sciml_mlflow.cli.process_exit import run_then_exit

    argv = sys.argv[1:]
    if argv[:1] == ["run"]:
        run_then_exit(main)
    sys.exit(main())


if __name__ == "__main__":
    console()
