"""A metric sink for calling benchmark entry points directly, without MLflow."""

from __future__ import annotations

from typing import Dict, List, Mapping, Tuple


class RecordingSink:
    """Collects what a benchmark logs as ``{name: [(step, value), ...]}``, the way MetricLogger receives it."""

    def __init__(self) -> None:
        self.metrics: Dict[str, List[Tuple[int, float]]] = {}

    def log(self, name: str, value: float, step: int = 0) -> None:
        self.metrics.setdefault(name, []).append((step, float(value)))

    def log_dict(self, metrics: Mapping[str, float], step: int = 0) -> None:
        for k, v in metrics.items():
            self.log(k, v, step)

    def last(self, name: str) -> float:
        return self.metrics[name][-1][1]
