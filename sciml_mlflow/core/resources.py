"""Where the config tree and the benchmark folders are.

In a checkout they are the top-level ``conf/`` and ``benchmarks/`` folders (the design card).  A built
wheel carries them mapped into ``sciml_mlflow/_bundled/`` (see pyproject.toml), so the command works
from any directory without installing a top-level ``benchmarks`` package.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import List, Optional

_PACKAGE_DIR = Path(__file__).resolve().parent.parent
_CHECKOUT = _PACKAGE_DIR.parent


@lru_cache(maxsize=1)
def checkout_root() -> Optional[Path]:
    """The source checkout this package runs from, or None for an installed wheel."""
    if (_CHECKOUT / "conf" / "config.yaml").is_file() and (_CHECKOUT / "pyproject.toml").is_file():
        return _CHECKOUT
    return None


def _bundled(name: str) -> Path:
    return _PACKAGE_DIR / "_bundled" / name


def config_dir() -> Path:
    """Absolute path of the Hydra config tree (conf/)."""
    root = checkout_root()
    return root / "conf" if root else _bundled("conf")


def extra_collections() -> List[Path]:
    """Benchmark collections outside this repository, from ``SCIML_MLFLOW_BENCHMARKS`` (os.pathsep list).

    Each is laid out like this repository: ``benchmarks/<name>/`` and ``conf/benchmark/<name>.yaml``, so a
    group can keep private benchmarks in its own repository.
    """
    extra = os.environ.get("SCIML_MLFLOW_BENCHMARKS", "")
    return [Path(p).expanduser().resolve() for p in extra.split(os.pathsep) if p]


def benchmark_roots() -> List[Path]:
    """Folders searched for benchmarks: the suite's own first, then each extra collection's ``benchmarks/``."""
    root = checkout_root()
    roots = [root / "benchmarks" if root else _bundled("benchmarks")]
    return roots + [c / "benchmarks" for c in extra_collections()]


def home_dir() -> Path:
    """Per-user state: the default SQLite store, artifacts and (outside a checkout) data."""
    return Path(os.environ.get("SCIML_MLFLOW_HOME", Path.home() / ".sciml_mlflow")).expanduser()


def default_data_root() -> Path:
    """Datasets live in the checkout's DVC workspace (data/) or, for a wheel, under the home dir."""
    env = os.environ.get("SCIML_DATA_DIR")
    if env:
        return Path(env).expanduser()
    root = checkout_root()
    return root / "data" if root else home_dir() / "data"
