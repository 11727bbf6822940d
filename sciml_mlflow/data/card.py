"""Dataset cards: what a dataset is, where the real one lives, and its layout.

A card is ``conf/dataset/<name>.yaml`` (or the same path in a collection named by
``SCIML_MLFLOW_BENCHMARKS``), next to the benchmark cards that read it.  Cards carry descriptive values
only; content hashes live in the DVC record (dvc.lock) so there is one source of truth for bytes.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

import yaml

from sciml_mlflow.core.resources import config_dir, extra_collections
from sciml_mlflow.errors import DataError


@dataclass(frozen=True)
class DatasetCard:
    """One dataset as described in its YAML card (unknown keys are an error)."""

    name: str  # dataset id, also the folder under the data root
    benchmark: str  # benchmark whose dataset.py generate(root, scale, seed) writes the synthetic data
    version: str = "1.0"  # bumped when the generator or the layout changes meaningfully
    description: str = ""  # what the data is, for humans
    licence: str = ""  # licence of the synthetic and of the real data
    real_data: Dict[str, Any] = field(default_factory=dict)  # uri, endpoint, mirrors, reference, size
    layout: List[Dict[str, Any]] = field(default_factory=list)  # files with their HDF5 keys, shapes, dtypes
    scales: Dict[str, Dict[str, Any]] = field(default_factory=dict)  # scale -> size facts
    path: Optional[Path] = None  # the card file (set by the loader)


def card_dirs() -> List[Path]:
    """Folders searched for cards: the suite's own conf/dataset first, then each extra collection's."""
    return [config_dir() / "dataset"] + [c / "conf" / "dataset" for c in extra_collections()]


def _parse(path: Path) -> DatasetCard:
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise DataError(f"dataset card {path} is not valid YAML: {exc}") from exc
    known = {f.name for f in dataclasses.fields(DatasetCard)} - {"path"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise DataError(f"dataset card {path}: unknown keys {', '.join(unknown)}; expected a subset of "
                        f"{', '.join(sorted(known))}")
    missing = [k for k in ("name", "benchmark") if not raw.get(k)]
    if missing:
        raise DataError(f"dataset card {path}: missing {', '.join(missing)}")
    if raw["name"] != path.stem:
        raise DataError(f"dataset card {path}: name {raw['name']!r} differs from its file name {path.stem!r}")
    raw["version"] = str(raw.get("version", "1.0"))
    return DatasetCard(path=path, **raw)


def list_cards() -> List[DatasetCard]:
    """Every card, first definition of a name wins (the suite's own before extra collections)."""
    seen: Dict[str, DatasetCard] = {}
    for d in card_dirs():
        for p in sorted(d.glob("*.yaml")) if d.is_dir() else []:
            if p.stem not in seen:
                seen[p.stem] = _parse(p)
    return list(seen.values())


def get_card(name: str) -> DatasetCard:
    """The card of ``name``; DataError listing the known names when there is none."""
    for d in card_dirs():
        p = d / f"{name}.yaml"
        if p.is_file():
            return _parse(p)
    known = ", ".join(c.name for c in list_cards()) or "none"
    raise DataError(f"no dataset card named {name!r} (looked in {', '.join(map(str, card_dirs()))}); "
                    f"known datasets: {known}. Add conf/dataset/{name}.yaml")
