"""Make a benchmark's dataset present and intact before its entry point runs.

Foundation version: data lives under ``<data root>/<dataset>/<scale>/`` in the real layout; when it is
missing, the benchmark's own generator (``benchmarks/<name>/dataset.py: generate``) writes it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Optional

from sciml_mlflow.core.registry import BenchmarkSpec
from sciml_mlflow.core.resources import default_data_root
from sciml_mlflow.errors import DataError

log = logging.getLogger(__name__)
_DONE = ".complete"  # written last by staging: a folder without it is an interrupted generation


@dataclass(frozen=True)
class StagedDataset:
    """Where a dataset is and where it came from (recorded on the run)."""

    name: str
    scale: str
    path: Path
    source: str  # "generated", a remote URL, or "workspace"
    digest: Optional[str] = None
    tags: Dict[str, str] = field(default_factory=dict)


def dataset_dir(name: str, scale: str, root: Optional[str] = None) -> Path:
    return Path(root).expanduser() if root else default_data_root() / name / scale


def stage_dataset(spec: BenchmarkSpec, name: str, scale: str, root: Optional[str] = None) -> StagedDataset:
    """Return the staged dataset, generating it with the benchmark's generator when absent."""
    path = dataset_dir(name, scale, root)
    if (path / _DONE).exists() or (root and path.exists()):
        return StagedDataset(name, scale, path, source="workspace")
    gen = spec.load("dataset")
    if not hasattr(gen, "generate"):
        raise DataError(f"dataset {name!r} ({scale}) is missing at {path} and benchmark {spec.name!r} has no "
                        f"generator (dataset.py: generate); fetch the real data into {path}")
    log.info("dataset %s (%s) not found at %s: generating it", name, scale, path)
    path.mkdir(parents=True, exist_ok=True)
    gen.generate(path, scale, seed=0)
    (path / _DONE).write_text("ok\n")
    return StagedDataset(name, scale, path, source="generated")
