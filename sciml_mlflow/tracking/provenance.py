"""Provenance tags: code revision, package versions, host."""

from __future__ import annotations

import platform
import subprocess
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


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def versions() -> Dict[str, str]:
    import torch  # already imported by the benchmark at this point

    return {
        "version.python": platform.python_version(),
        "version.torch": torch.__version__,
        "version.cuda": str(torch.version.cuda or "none"),
        "version.mlflow": _version("mlflow"),
        "version.hydra": _version("hydra-core"),
        "version.sciml_mlflow": _version("sciml-mlflow"),
    }
