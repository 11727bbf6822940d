"""A run's heartbeat: a tag updated at a low rate while the process lives, so zombies can be told apart.

MLflow leaves a run RUNNING forever when its process dies without ending it (SIGKILL, OOM killer, a node
that vanished).  Every run we start carries ``sciml.heartbeat`` (Unix seconds of the last beat) and
``sciml.heartbeat_s`` (its interval); ``sciml-mlflow runs reconcile`` ends RUNNING runs whose beat is older
than a threshold as FAILED with ``reason=lost (no heartbeat since …)``.  One ``set_tag`` per interval
(default 60 s) is the whole cost.  Runs of other tools never carry the tag and are never touched.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Optional

log = logging.getLogger(__name__)

HEARTBEAT_TAG = "sciml.heartbeat"
INTERVAL_TAG = "sciml.heartbeat_s"
DEFAULT_INTERVAL_S = 60.0


class Heartbeat:
    """Beats for one run; ``beat_if_due()`` is called from a thread that wakes anyway (the metric writer)."""

    def __init__(self, client: object, run_id: str, interval_s: float = DEFAULT_INTERVAL_S) -> None:
        self._client, self._run_id, self.interval_s = client, run_id, float(interval_s)
        self._last = 0.0

    def beat(self) -> None:
        now = time.time()
        try:
            from mlflow.entities import RunTag

            self._client.log_batch(self._run_id, tags=[RunTag(HEARTBEAT_TAG, f"{now:.0f}"),  # type: ignore[attr-defined]
                                                       RunTag(INTERVAL_TAG, f"{self.interval_s:g}")], synchronous=True)
            self._last = now
        except Exception as exc:  # a missed beat is not fatal: the next one may reach the store
            log.warning("heartbeat of run %s not recorded: %s", self._run_id, exc)

    def beat_if_due(self) -> None:
        if time.time() - self._last >= self.interval_s:
            self.beat()


class HeartbeatThread:
    """A daemon thread beating for a run that has no metric writer (a sweep's parent)."""

    def __init__(self, client: object, run_id: str, interval_s: float = DEFAULT_INTERVAL_S) -> None:
        self.heartbeat = Heartbeat(client, run_id, interval_s)
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None

    def start(self) -> "HeartbeatThread":
        self.heartbeat.beat()
        self._thread = threading.Thread(target=self._loop, name="sciml-heartbeat", daemon=True)
        self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.wait(self.heartbeat.interval_s):
            self.heartbeat.beat()

    def stop(self) -> None:
        self._stop.set()
