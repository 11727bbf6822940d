"""OmegaConf resolvers the config tree uses: ``${sciml.groups:}`` (the selectable groups for ``--help``).

Hydra's ``$APP_CONFIG_GROUPS`` lists every folder of the config tree, including ones only other configs
use (``dataset``, ``report``, ``ruletables``) and the schema store; ``--help`` should list what one can
put on the command line, with its current options (collections and card-less benchmarks included).
"""

from __future__ import annotations

from typing import List

from omegaconf import OmegaConf

#: the config groups a user selects on the command line (``group=option``)
SELECTABLE_GROUPS = ("benchmark", "hardware", "rules", "tracking")


def group_options(group: str) -> List[str]:
    """The options of ``group``: YAML files in the config tree and collections, plus ConfigStore nodes."""
    from hydra.core.config_store import ConfigStore

    from sciml_mlflow.core.resources import config_dir, extra_collections

    names = set()
    for root in [config_dir()] + [c / "conf" for c in extra_collections()]:
        folder = root / group
        if folder.is_dir():
            names.update(p.stem for p in folder.glob("*.yaml"))
    try:
        stored = ConfigStore.instance().list(group)
    except (OSError, KeyError, ValueError):  # ConfigStore raises OSError for an unknown group
        stored = []
    names.update(n[: -len(".yaml")] if n.endswith(".yaml") else n for n in stored)
    return sorted(names)


def selectable_groups() -> str:
    """``group: a, b, c`` lines for the help template."""
    return "\n".join(f"{g}: {', '.join(group_options(g))}" for g in SELECTABLE_GROUPS)


def gpus_per_node(accelerator: str, device_count: int) -> "int | None":
    """GPUs a SLURM job asks for on each node: the profile's devices on a CUDA profile, none otherwise
    (``--gpus-per-node=0`` is an invalid gres request for sbatch, and a CPU profile's one device is a CPU)."""
    return int(device_count) if str(accelerator) == "cuda" and int(device_count) > 0 else None


def register_resolvers() -> None:
    """Idempotent: safe to call from every entry point."""
    if not OmegaConf.has_resolver("sciml.groups"):
        OmegaConf.register_new_resolver("sciml.groups", selectable_groups)
    if not OmegaConf.has_resolver("sciml.gpus_per_node"):
        OmegaConf.register_new_resolver("sciml.gpus_per_node", gpus_per_node)


__all__ = ["SELECTABLE_GROUPS", "group_options", "selectable_groups", "gpus_per_node", "register_resolvers"]
