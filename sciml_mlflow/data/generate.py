"""``python -m sciml_mlflow.data.generate NAME SCALE OUT``: the command of the dvc.yaml stages.

Why a module of its own: dvc.yaml lists it, with each benchmark's ``generate.py`` and ``physics.py``, as
the dependencies of the generated datasets; nothing else (staging, verification, training code) is.
The bytes depend only on (dataset, scale, seed, generator version) - see docs/data.md.
"""

from __future__ import annotations

import argparse
import inspect
import logging
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

from sciml_mlflow.errors import DataError

log = logging.getLogger(__name__)
WORKERS_ENV = "SCIML_GENERATE_WORKERS"  # worker threads/processes of a generator (the bytes do not depend on it)


def generator(benchmark: str) -> Callable[..., Any]:
    """The benchmark's ``generate(root, scale, seed, ...)``: from ``generate.py``, else ``dataset.py``."""
    from sciml_mlflow.core import registry

    spec = registry.get(benchmark)
    name = "generate" if (Path(spec.path) / "generate.py").is_file() else "dataset"
    module = spec.load(name)
    if not callable(getattr(module, "generate", None)):
        raise DataError(f"benchmark {benchmark!r} has no generator (benchmarks/{benchmark}/generate.py: "
                        "generate(root, scale, seed)); fetch the real data and pass benchmark.dataset.root")
    return module.generate


def generate_into(name: str, scale: str, out: Path, benchmark: Optional[str] = None, seed: int = 0,
                  workers: Optional[int] = None) -> None:
    """Write the synthetic dataset into ``out`` atomically (temp folder, then rename), showing progress."""
    from sciml_mlflow.data.progress import Meter

    if benchmark is None:
        from sciml_mlflow.data.card import get_card

        benchmark = get_card(name).benchmark
    gen = generator(benchmark)
    out = Path(out)
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    params = inspect.signature(gen).parameters
    kwargs: dict = {"seed": seed}
    workers = workers or (int(os.environ[WORKERS_ENV]) if os.environ.get(WORKERS_ENV) else None)
    if workers and "workers" in params:
        kwargs["workers"] = workers
    try:
        t0 = time.perf_counter()
        with Meter(f"generating {name} {scale}", 0, "items") as meter:
            if "report" in params:
                kwargs["report"] = meter
            gen(tmp, scale, **kwargs)
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
        log.info("dataset %s (%s): generated into %s in %.1f s", name, scale, out, time.perf_counter() - t0)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv: Optional[Sequence[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="python -m sciml_mlflow.data.generate", description=__doc__)
    p.add_argument("name")
    p.add_argument("scale")
    p.add_argument("out", type=Path)
    p.add_argument("--seed", type=int, default=0, help="generator seed (part of the dataset's identity)")
    p.add_argument("--workers", type=int, default=None, help=f"worker threads/processes (default: ${WORKERS_ENV} "
                   "or the CPU count); the bytes are the same for any value")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    from sciml_mlflow.errors import SciMLError

    try:
        generate_into(args.name, args.scale, args.out, seed=args.seed, workers=args.workers)
    except SciMLError as exc:
        log.error("%s", exc)  # logging is configured above: the command's one error line
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
