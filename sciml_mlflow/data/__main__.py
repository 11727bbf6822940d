"""``python -m sciml_mlflow.data generate NAME SCALE OUT``: kept for old scripts; the dvc.yaml stages run
``python -m sciml_mlflow.data.generate`` (sciml_mlflow/data/generate.py), which this delegates to."""

from __future__ import annotations

import sys
from typing import Optional, Sequence


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] != "generate":
        print("usage: python -m sciml_mlflow.data generate NAME SCALE OUT [--seed N] [--workers N]", file=sys.stderr)
        return 2
    from sciml_mlflow.data.generate import main as generate_main

    return generate_main(args[1:])


if __name__ == "__main__":
    sys.exit(main())
