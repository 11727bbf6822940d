"""Telemetry of a run: system metrics, energy, application phases, time-to-target, hardware identity.

Our own sampler replaces MLflow's built-in system-metrics monitor (measured at 4.4 % of a core at 1 s,
drifting, dropping its last window, blind to ``CUDA_VISIBLE_DEVICES`` and to joules).  Layout, after
MLflow's ``system_metrics`` minus its flaws: ``collectors/`` (one resource per file, behind
``collector.Collector``), ``sampler`` (the thread), ``sink`` (names and batching), ``phases``, ``target``,
``run_session`` (what the runner enters).  See docs/telemetry.md.
"""

from __future__ import annotations

from typing import Any, Dict

from sciml_mlflow.telemetry.run_session import TelemetrySession, TelemetrySettings

START_RUN_KWARGS: Dict[str, Any] = {"log_system_metrics": False}
"""Extra ``mlflow.start_run`` arguments: MLflow's own system-metrics monitor is off (ours replaces it)."""

__all__ = ["START_RUN_KWARGS", "TelemetrySession", "TelemetrySettings"]
