"""Telemetry of a run: system metrics, energy, application phases, time-to-target, hardware identity.

Our own sampler replaces MLflow's built-in system-metrics monitor (measured at 4.4 % of a core at 1 s,
drifting, dropping its last window, blind to ``CUDA_VISIBLE_DEVICES`` and to joules).  Layout, after
MLflow's ``system_metrics`` minus its flaws: ``collectors/`` (one resource per file, behind
``collector.Collector``), ``sampler`` (the thread), ``sink`` (names and batching), ``phases``, ``target``,
``session`` (what the runner enters).  See docs/telemetry.md.
"""

from __future__ import annotations

from typing import Any, Dict

from sciml_mlflow.telemetry.run_session import TelemetrySession


def start_run_kwargs(cfg: Any) -> Dict[str, Any]:
    """Extra ``mlflow.start_run`` arguments: switch MLflow's own monitor off (ours replaces it)."""
    return {"log_system_metrics": False}


def session(cfg: Any, client: Any, run_id: str, metrics: Any, profile: Any, machine: Any) -> TelemetrySession:
    """The runner's hook: a context manager with ``.phases`` and ``.control`` (becomes ``ctx.telemetry``)."""
    return TelemetrySession(cfg, client, run_id, metrics, profile, machine)


__all__ = ["TelemetrySession", "start_run_kwargs", "session"]
