"""``python -m sciml_mlflow.data generate NAME SCALE OUT``: the command of the dvc.yaml stages."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Optional, Sequence


def main(argv: Optional[Sequence[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="python -m sciml_mlflow.data", description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate", help="write the synthetic dataset NAME at SCALE into OUT (atomically)")
    g.add_argument("name")
    g.add_argument("scale")
    g.add_argument("out", type=Path)
    g.add_argument("--seed", type=int, default=0, help="generator seed (part of the dataset's identity)")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    from sciml_mlflow.data.staging import generate_into
    from sciml_mlflow.errors import SciMLError

    try:
        generate_into(args.name, args.scale, args.out, seed=args.seed)
    except SciMLError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
