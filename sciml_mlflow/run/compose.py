"""Composing the config outside the command line (tests, notebooks, the sweep and report tools).

``compose(["benchmark=dms_structure", ...])`` returns the same DictConfig ``python -m sciml_mlflow``
would build, validated against the schemas.
"""

from __future__ import annotations

from typing import List, Optional, Sequence

from omegaconf import DictConfig

from sciml_mlflow.core.resources import config_dir, extra_collections


def collection_searchpath_override(overrides: Sequence[str]) -> List[str]:
    """``hydra.searchpath=[...]`` for extra benchmark collections (their conf/), unless the user set one."""
    confs = [c / "conf" for c in extra_collections() if (c / "conf").is_dir()]
    if not confs or any(o.startswith("hydra.searchpath") for o in overrides):
        return []
    return ["hydra.searchpath=[" + ",".join(f"file://{c}" for c in confs) + "]"]


def compose(overrides: Optional[Sequence[str]] = None, return_hydra_config: bool = False) -> DictConfig:
    """Compose ``conf/config.yaml`` with ``overrides`` through Hydra's Compose API."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    from sciml_mlflow.config.schema import register_schemas

    register_schemas()
    from sciml_mlflow.config.resolvers import register_resolvers

    register_resolvers()
    from sciml_mlflow.scimlbench.cards import open_bench_args, register_cardless

    register_cardless()  # SciMLBench benchmarks without a YAML card compose too
    overrides = open_bench_args(overrides or [])  # benchmark.bench_args.<key>=<value> adds or replaces
    overrides += collection_searchpath_override(overrides)
    if GlobalHydra.instance().is_initialized():
        GlobalHydra.instance().clear()
    with initialize_config_dir(version_base="1.3", config_dir=str(config_dir()), job_name="sciml_mlflow"):
        return hydra_compose("config", overrides=overrides, return_hydra_config=return_hydra_config)
