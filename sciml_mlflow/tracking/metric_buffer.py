"""Cheap science-metric logging for benchmark code.

A synchronous ``mlflow.log_metric`` costs milliseconds (a store round trip per call).  Benchmark code
logs every step, so metrics are appended to an in-process buffer (a list append under a lock, ~1 µs)
and a background thread writes them with ``MlflowClient.log_batch`` every ``flush_interval_s``.
``close()`` flushes everything before the run's status is set, so nothing is lost when a run ends or
fails.  MLflow's own async logging was measured slower unless its buffering is on; this is simpler and
bounded.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from typing import Dict, List, Mapping, Optional

log = logging.getLogger(__name__)

_BATCH_LIMIT = 1000  # MLflow's log_batch accepts at most 1000 metrics per call


class MetricLogger:
    """Buffered metric sink bound to one MLflow run."""

    def __init__(self, client: object, run_id: str, flush_interval_s: float = 2.0, prefix: str = "") -> None:
        self._client = client
        self._run_id = run_id
        self._prefix = prefix
        self._buf: List[object] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._closed = False
        self._interval = flush_interval_s
        self._latest: Dict[str, float] = {}
        self._thread = threading.Thread(target=self._loop, name="sciml-metric-writer", daemon=True)
        self._thread.start()

    # -- benchmark-facing API ------------------------------------------------------------------
    def log(self, name: str, value: float, step: int = 0) -> None:
        """Record ``name`` = ``value`` at ``step``; non-finite values are kept (they are evidence)."""
        from mlflow.entities import Metric  # light once mlflow is imported by the runner

        value = float(value)
        key = self._prefix + name
        m = Metric(key=key, value=value, timestamp=int(time.time() * 1000), step=int(step))
        with self._lock:
            self._buf.append(m)
            self._latest[key] = value

    def log_dict(self, metrics: Mapping[str, float], step: int = 0) -> None:
        """Record several metrics at one step."""
        for name, value in metrics.items():
            self.log(name, value, step)

    def latest(self, name: str) -> Optional[float]:
        """The last value logged under ``name`` in this process (None if never logged)."""
        with self._lock:
            return self._latest.get(self._prefix + name)

    @property
    def latest_all(self) -> Dict[str, float]:
        with self._lock:
            return dict(self._latest)

    # -- framework-facing ----------------------------------------------------------------------
    def flush(self) -> None:
        """Write everything buffered so far (called by the writer thread and on close)."""
        with self._lock:
            pending, self._buf = self._buf, []
        for i in range(0, len(pending), _BATCH_LIMIT):
            chunk = pending[i : i + _BATCH_LIMIT]
            try:
                self._client.log_batch(self._run_id, metrics=chunk, synchronous=True)  # type: ignore[attr-defined]
            except Exception as exc:  # put back what was not written, report loudly, let the caller decide
                with self._lock:
                    self._buf[:0] = pending[i:]
                log.error("could not write %d metrics to run %s: %s", len(pending) - i, self._run_id, exc)
                raise

    def close(self) -> None:
        """Stop the writer thread and flush what is left."""
        if self._closed:
            return
        self._closed = True
        self._wake.set()
        self._thread.join(timeout=30)
        self.flush()

    def _loop(self) -> None:
        while not self._closed:
            self._wake.wait(self._interval)
            if self._closed:
                return
            try:
                self.flush()
            except Exception:
                pass  # logged in flush; retried on the next tick or at close


def finite(values: Mapping[str, float]) -> bool:
    """True when every value is a finite number (used by contract tests and sanity checks)."""
    return all(isinstance(v, (int, float)) and math.isfinite(v) for v in values.values())
