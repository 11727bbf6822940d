"""The sampling thread: polls collectors on a fixed grid and hands readings to a sink.

Fixes to MLflow's monitor that motivated our own: samples sit on a drift-free grid (``t0 + k·interval``,
not ``sleep(interval)`` after work); no store query per sample (the sink buffers); a final sample is taken
at stop so the last window is never dropped; sampling can be paused and resumed around regions.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Dict, List, Optional, Sequence

from sciml_mlflow.telemetry.collector import ENERGY_SUFFIX, Collector
from sciml_mlflow.telemetry.sink import SystemMetricWriter

log = logging.getLogger(__name__)

TOTAL_ENERGY = "total_energy_joules"


class Sampler:
    def __init__(self, collectors: Sequence[Collector], sink: SystemMetricWriter, interval_s: float) -> None:
        if interval_s <= 0:
            raise ValueError(f"telemetry interval must be > 0 s, got {interval_s}")
        self._collectors: List[Collector] = list(collectors)
        self._sink = sink
        self._interval = float(interval_s)
        self._lock = threading.Lock()  # collectors are stateful; one reader at a time
        self._stop = threading.Event()
        self._active = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._step = 0
        self.cpu_seconds = 0.0  # CPU time spent by the sampling thread (its own cost)
        self.energy_measured = any(True for _ in self._energy_collectors())

    def _energy_collectors(self) -> List[Collector]:
        return [c for c in self._collectors if getattr(c, "measures_energy", False)]

    # -- control -------------------------------------------------------------------------------
    def start(self, active: bool = True) -> None:
        """Start the thread; with ``active`` False it waits for ``resume()``."""
        if active:
            self._active.set()
        self._thread = threading.Thread(target=self._loop, name="sciml-telemetry-sampler", daemon=True)
        self._thread.start()

    def pause(self) -> None:
        """Stop periodic sampling after one sample that closes the current window."""
        if self._active.is_set():
            self._active.clear()
            self.sample_now()

    def resume(self) -> None:
        if not self._active.is_set():
            self.sample_now()
            self._active.set()

    @property
    def active(self) -> bool:
        return self._active.is_set()

    def stop(self) -> None:
        """Stop the thread and take the final sample (the last window is never dropped)."""
        self._stop.set()
        self._active.set()  # wake a paused loop so it can exit
        if self._thread is not None:
            self._thread.join(timeout=max(5.0, 2 * self._interval))
        self.sample_now()
        for c in self._collectors:
            try:
                c.close()
            except Exception as exc:  # releasing must not fail the run
                log.debug("telemetry: closing %s failed: %s", c.name, exc)

    # -- sampling ------------------------------------------------------------------------------
    def sample_now(self) -> Dict[str, float]:
        """Read every collector once and write the readings (plus the total energy) to the sink."""
        values: Dict[str, float] = {}
        with self._lock:
            for c in self._collectors:
                try:
                    values.update(c.sample())
                except Exception as exc:  # a flaky counter loses one reading, never the run
                    log.debug("telemetry: %s sample failed: %s", c.name, exc)
            energy = [v for k, v in values.items() if k.endswith(ENERGY_SUFFIX)]
            if energy:
                values[TOTAL_ENERGY] = sum(energy)
            step = self._step
            self._step += 1
        if values:
            self._sink.write(values, step)
        return values

    def energy_now(self) -> Optional[float]:
        """Total joules since start from the energy collectors only (cheap; used at phase boundaries)."""
        if not self.energy_measured:
            return None
        total, found = 0.0, False
        with self._lock:
            for c in self._energy_collectors():
                try:
                    joules = [v for k, v in c.sample().items() if k.endswith(ENERGY_SUFFIX)]
                except Exception as exc:
                    log.debug("telemetry: %s energy read failed: %s", c.name, exc)
                    continue
                found = found or bool(joules)
                total += sum(joules)
        return total if found else None  # a GPU without power readings measures nothing: never report 0 J

    def _loop(self) -> None:
        t_cpu0 = time.thread_time()
        try:
            t0 = time.monotonic()
            k = 0
            while not self._stop.is_set():
                if not self._active.is_set():
                    self._active.wait()
                    t0, k = time.monotonic(), 0  # re-anchor the grid after a pause
                    continue
                k += 1
                delay = t0 + k * self._interval - time.monotonic()
                if delay < 0:  # fell behind (suspended, overloaded): skip missed slots, do not burst
                    k += int(-delay // self._interval) + 1
                    delay = t0 + k * self._interval - time.monotonic()
                if self._stop.wait(delay):
                    break
                if self._active.is_set():
                    self.sample_now()
        finally:
            self.cpu_seconds += time.thread_time() - t_cpu0
