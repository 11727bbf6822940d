"""Run names that tell runs apart: the benchmark, the overrides that differ, the seed.

Every run of a sweep used to be ``<benchmark>-train-cpu``: identical in the runs table, the compare page
and every chart legend.  A name now carries what makes the run itself: ``dms_structure lr=0.01 seed=2``.
Overrides that only steer the framework (hardware, progress, tracking, hydra.*) stay out; in a sweep, the
overrides every job shares stay out too (they are in each run's params), read from the ``multirun.yaml``
Hydra writes at the root of the sweep folder, so any launcher's job processes agree.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import List, Optional, Sequence

log = logging.getLogger(__name__)

#: override keys never part of a name (framework steering or already in the name)
_SKIP_KEYS = {"benchmark", "seed", "mode", "hardware", "rules", "tracking", "progress", "run_name", "summary",
              "model_uri"}
_SKIP_PREFIXES = ("hydra", "tracking.", "tags.", "hardware.", "distributed.", "benchmark.dataset.root")
MAX_VALUE = 24  # characters of one override value kept in a name


def _key(override: str) -> str:
    return override.lstrip("+~").partition("=")[0]


def _shown(override: str) -> str:
    """``benchmark.training.learning_rate=0.01`` -> ``learning_rate=0.01`` (the last component reads best)."""
    from sciml_mlflow.tracking.redact import redact_value  # a name is a tag: no secret in it, ever

    key, sep, value = override.lstrip("+~").partition("=")
    value = str(redact_value(key, value))
    if len(value) > MAX_VALUE:
        value = value[: MAX_VALUE - 1] + "…"
    return f"{key.rsplit('.', 1)[-1]}{sep}{value}"


def naming_overrides(task_overrides: Sequence[str], swept_keys: Optional[Sequence[str]] = None) -> List[str]:
    """The job's overrides worth naming: not framework steering; in a sweep, only the swept keys."""
    out = []
    for o in task_overrides:
        key = _key(o)
        if key in _SKIP_KEYS or key.startswith(_SKIP_PREFIXES) or "=" not in o:
            continue
        if swept_keys is not None and key not in swept_keys:
            continue
        out.append(o)
    return out


def swept_keys(sweep_overrides: Sequence[str]) -> List[str]:
    """Keys a sweep's command line varies (``seed=1,2``, ``lr=choice(...)``, ``range(...)``)."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parsed = OverridesParser.create().parse_overrides([str(o) for o in sweep_overrides])
    return [p.key_or_group for p in parsed if p.is_sweep_override()]


def sweep_overrides_from(sweep_dir: Path) -> Optional[List[str]]:
    """The sweep's command-line overrides from Hydra's ``multirun.yaml``; None when it is not there."""
    import yaml

    path = Path(sweep_dir) / "multirun.yaml"
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        log.debug("no sweep overrides for the run name (%s): %s", path, exc)
        return None
    return list(((data.get("hydra") or {}).get("overrides") or {}).get("task") or [])


def make_run_name(benchmark: str, mode: str, seed: int, overrides: Sequence[str] = ()) -> str:
    """``<benchmark>[ <mode>] <key=value ...> seed=<seed>``: ``mode`` only when not ``train``."""
    parts = [benchmark] + ([mode] if mode != "train" else []) + [_shown(o) for o in overrides]
    return " ".join(parts + [f"seed={seed}"])


def run_name_for(benchmark: str, mode: str, seed: int, task_overrides: Sequence[str]) -> str:
    """The name of a run started from the command line (or the Compose API, where Hydra has no state)."""
    keys = None
    try:
        from hydra.core.hydra_config import HydraConfig
        from hydra.types import RunMode

        if HydraConfig.initialized() and HydraConfig.get().mode == RunMode.MULTIRUN:
            sweep = sweep_overrides_from(Path(HydraConfig.get().sweep.dir))
            keys = swept_keys(sweep) if sweep is not None else None
    except Exception as exc:  # a name is never worth failing a run for
        log.debug("run name without sweep context: %s", exc)
    return make_run_name(benchmark, mode, seed, naming_overrides(task_overrides, keys))


__all__ = ["make_run_name", "naming_overrides", "swept_keys", "sweep_overrides_from", "run_name_for"]
