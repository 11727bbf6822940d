"""Where samples go: MLflow metrics named ``system/[rank_<r>/]<resource>_<quantity>_<unit>``.

Kept apart from the sampler so the sampling thread never talks to the store: the sink hands values to
the run's buffered MetricLogger, which writes them with ``log_batch`` on its own thread.  Any name under
``system/`` shows in MLflow's System metrics tab.
"""

from __future__ import annotations

from typing import Any, Mapping


class SystemMetricWriter:
    def __init__(self, metrics: Any, rank_prefix: str = "") -> None:
        self._metrics = metrics
        self._prefix = "system/" + rank_prefix

    def write(self, values: Mapping[str, float], step: int) -> None:
        self._metrics.log_dict({self._prefix + k: v for k, v in values.items()}, step=step)
