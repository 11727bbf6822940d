"""Where a run is filed: the one definition of its experiment's name and artifact root."""

from __future__ import annotations

from typing import Any, Optional


def experiment_name(cfg: Any, name: Optional[str] = None) -> str:
    """``<benchmark>`` (or ``name``), under ``<tracking.experiment_prefix>/`` when a prefix is set."""
    name = name or str(cfg.benchmark.name)
    prefix = cfg.tracking.experiment_prefix
    return f"{prefix}/{name}" if prefix else name


def is_remote(uri: str) -> bool:
    """A tracking server (http/https) rather than a local store."""
    return str(uri).startswith(("http://", "https://"))


def artifact_root(cfg: Any) -> Optional[str]:
    """The artifact root for new experiments: a server decides its own (``--serve-artifacts``), so only a
    local (SQLite) store gets ``tracking.artifact_root``."""
    return None if is_remote(cfg.tracking.uri) else cfg.tracking.artifact_root


def ensure_run_experiment(client: Any, cfg: Any, name: Optional[str] = None) -> str:
    """The id of the run's experiment, created on first use."""
    from sciml_mlflow.tracking import store

    return store.ensure_experiment(client, experiment_name(cfg, name), artifact_root(cfg))
