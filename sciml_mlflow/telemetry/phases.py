"""Application phases: wall time and energy of data staging, loading, training, evaluation, outputs.

Each phase logs ``system/time_<phase>_s`` and, where energy is measured, ``system/energy_<phase>_joules`` (both
cumulative when a phase is entered more than once).  Only top-level phases count towards the split of
time-to-solution; a phase opened inside another is logged but not added twice.
"""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Any, Callable, Dict, Iterator, Optional

from sciml_mlflow.tracking.metric_keys import phase_energy, phase_time


class PhaseTimer:
    def __init__(self, metrics: Any, energy: Callable[[], Optional[float]] = lambda: None,
                 clock: Callable[[], float] = time.perf_counter) -> None:
        self._metrics = metrics
        self._energy = energy
        self._clock = clock
        self._depth = threading.local()
        self.durations: Dict[str, float] = {}
        self.energies: Dict[str, float] = {}
        self.top_level_s = 0.0  # sum of top-level phase times (no double counting of nested phases)
        self.top_level_j = 0.0

    @contextlib.contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Time (and meter) the block as phase ``name``: ``with phases.phase("training"): ...``."""
        depth = getattr(self._depth, "n", 0)
        self._depth.n = depth + 1
        e0 = self._energy()
        t0 = self._clock()
        try:
            yield
        finally:
            dt = self._clock() - t0
            e1 = self._energy() if e0 is not None else None
            self._depth.n = depth
            self.durations[name] = self.durations.get(name, 0.0) + dt
            values = {phase_time(name): self.durations[name]}
            if e0 is not None and e1 is not None:
                self.energies[name] = self.energies.get(name, 0.0) + (e1 - e0)
                values[phase_energy(name)] = self.energies[name]
            if depth == 0:
                self.top_level_s += dt
                if e0 is not None and e1 is not None:
                    self.top_level_j += e1 - e0
            self._metrics.log_dict(values)
