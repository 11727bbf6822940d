"""Telemetry for a run.  Foundation version: MLflow's built-in system-metrics monitor and phase timers."""

from __future__ import annotations

import contextlib
from typing import Any, Dict

from sciml_mlflow.core.context import _SimplePhases


def start_run_kwargs(cfg: Any) -> Dict[str, Any]:
    """Extra ``mlflow.start_run`` arguments: the built-in monitor at the profile's interval."""
    import mlflow

    mlflow.set_system_metrics_sampling_interval(float(cfg.hardware.system_metrics_interval_s))
    return {"log_system_metrics": True}


class Session(contextlib.AbstractContextManager):
    """Wraps the benchmark's execution; exposes ``phases`` for application-phase timing."""

    def __init__(self, metrics: Any) -> None:
        self.phases = _SimplePhases(metrics)

    def __exit__(self, *exc: object) -> None:
        return None


def session(cfg: Any, client: Any, run_id: str, metrics: Any, profile: Any, machine: Any) -> Session:
    return Session(metrics)
