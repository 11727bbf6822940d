"""Provenance tags: code revision, package versions, host."""

from __future__ import annotations

import functools
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Dict, Optional


def git_state(root: Optional[Path]) -> Dict[str, str]:
    """Commit and dirty flag of the checkout, or 'unknown' outside one (installed wheel)."""
    if root is None:
        return {"git.commit": "unknown", "git.dirty": "unknown"}
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True,
                                timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, timeout=10, check=True).stdout.strip()
        return {"git.commit": commit, "git.dirty": str(bool(dirty)).lower(), "mlflow.source.git.commit": commit}
    except (OSError, subprocess.SubprocessError):
        return {"git.commit": "unknown", "git.dirty": "unknown"}


def _version(dist: str, module: str) -> str:
    """``module.__version__`` when it is imported (free), else the installed distribution's metadata.

    ``importlib.metadata.version`` walks every ``sys.path`` entry: ~0.2 s a call in this venv, 0.6 s per run
    for three packages, paid again by every job of a sweep before this was cached.
    """
    loaded = sys.modules.get(module)
    if loaded is not None and isinstance(getattr(loaded, "__version__", None), str):
        return loaded.__version__
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


@functools.lru_cache(maxsize=1)
def versions() -> Dict[str, str]:
    """Versions of what a run's results depend on; the same for every run of one process (cached)."""
    import torch  # already imported by the benchmark at this point

    return {
        "version.python": platform.python_version(),
        "version.torch": torch.__version__,
        "version.cuda": str(torch.version.cuda or "none"),
        "version.mlflow": _version("mlflow", "mlflow"),
        "version.hydra": _version("hydra-core", "hydra"),
        "version.sciml_mlflow": _version("sciml-mlflow", "sciml_mlflow"),
    }
