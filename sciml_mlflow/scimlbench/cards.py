"""Hydra config for SciMLBench benchmarks: a default card when none exists, free-form bench args.

- ``register_cardless()`` stores a ``benchmark/<name>`` node in Hydra's ConfigStore for every discovered
  SciMLBench benchmark without a YAML card (``conf/benchmark/<name>.yaml`` here or in a collection), so
  ``benchmark=<name>`` composes.  Its dataset follows SciMLBench's own convention, the folder
  ``<data root>/<name>`` used as given; ``benchmark.dataset.root=PATH`` points elsewhere.  A card, when
  present, wins (and may name a carded, DVC-versioned dataset as for native benchmarks).
- ``open_bench_args(argv)`` makes ``benchmark.bench_args.<key>=<value>`` mean "set this bench arg" whether
  or not the card declares the key (SciMLBench's ``-b key value`` is free-form): such overrides are sent
  to Hydra as ``++benchmark.bench_args.<key>=<value>`` (add or replace).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, List, Optional, Sequence

log = logging.getLogger(__name__)
_PREFIX = "benchmark.bench_args."


def card_paths(name: str) -> List[Path]:
    """Where a YAML card for ``name`` would be: the config tree's and each collection's conf/benchmark/."""
    from sciml_mlflow.core.resources import config_dir, extra_collections

    return [config_dir() / "benchmark" / f"{name}.yaml"] + [
        c / "conf" / "benchmark" / f"{name}.yaml" for c in extra_collections()
    ]


def default_card(name: str) -> Any:
    """The BenchmarkConfig a card-less SciMLBench benchmark composes to."""
    from sciml_mlflow.config.schema import BenchmarkConfig, DatasetRef
    from sciml_mlflow.core.resources import default_data_root

    return BenchmarkConfig(
        name=name,
        description=f"SciMLBench benchmark {name} (no card: framework defaults)",
        dataset=DatasetRef(name=name, scale="small", root=str(default_data_root() / name)),
    )


def register_cardless(cs: Optional[Any] = None) -> List[str]:
    """Store a default ``benchmark/<name>`` node for each card-less SciMLBench benchmark; returns their names."""
    from hydra.core.config_store import ConfigStore

    from sciml_mlflow.core import registry

    cs = cs or ConfigStore.instance()
    names = []
    for name, spec in registry.discover().items():
        if getattr(spec, "card_required", True) or any(p.is_file() for p in card_paths(name)):
            continue
        cs.store(group="benchmark", name=name, node=default_card(name))
        names.append(name)
    if names:
        log.debug("SciMLBench benchmarks without a card (default config): %s", ", ".join(names))
    return names


def open_bench_args(argv: Sequence[str]) -> List[str]:
    """``argv`` with every plain ``benchmark.bench_args.<key>=<value>`` turned into ``++...`` (add or replace)."""
    return [f"++{a}" if a.startswith(_PREFIX) and "=" in a else a for a in argv]


__all__ = ["register_cardless", "open_bench_args", "default_card", "card_paths"]
