"""Progress of long data work (generation, verification): items, bytes, rate and ETA on stderr.

Why both a bar and log lines: at ``small`` a generation takes minutes, and a silent minute looks like a
hang.  On a terminal a rich bar is drawn on stderr (never stdout, which carries command output); when
stderr is not a terminal (CI, pytest, ``dvc repro`` under a pipe) a log line is written at most every
``LOG_EVERY_S`` seconds and once at the end, so logs stay short.  ``SCIML_PROGRESS=0`` turns the bar off.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from typing import Any, Optional

log = logging.getLogger(__name__)
LOG_EVERY_S = 10.0
ENV = "SCIML_PROGRESS"


def _bar_wanted() -> bool:
    if os.environ.get(ENV, "").strip().lower() in ("0", "false", "no", "off"):
        return False
    return bool(getattr(sys.stderr, "isatty", lambda: False)())


def _mb(n: float) -> str:
    return f"{n / 1e6:,.1f} MB"


class Meter:
    """``with Meter("dms_sim tiny", total=216, unit="patterns") as m: m.update(done, nbytes)``.

    ``unit="B"`` counts bytes (verification); otherwise items are counted and bytes reported beside them.
    """

    def __init__(self, label: str, total: int, unit: str, bar: Optional[bool] = None,
                 quiet_below_s: float = 0.0) -> None:
        self.label, self.total, self.unit = label, max(int(total), 0), unit
        self.quiet_below_s = quiet_below_s  # no bar and no closing line for work that ends sooner
        self.done = 0
        self.nbytes = 0
        self._bar = _bar_wanted() if bar is None else bar
        self._progress: Any = None
        self._task: Any = None
        self._t0 = time.perf_counter()
        self._last_log = self._t0

    def __enter__(self) -> "Meter":
        self._t0 = self._last_log = time.perf_counter()
        if self._bar and not self.quiet_below_s:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, \
                TimeRemainingColumn  # fmt: skip

            cols = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn() if self.unit != "B"
                    else TextColumn("{task.percentage:>3.0f}%"), TextColumn("{task.fields[extra]}"),
                    TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn()]
            self._progress = Progress(*cols, console=Console(stderr=True), transient=False)
            self._progress.start()
            self._task = self._progress.add_task(self.label, total=self.total or None, extra="")
        return self

    def _extra(self) -> str:
        dt = max(time.perf_counter() - self._t0, 1e-9)
        return f"{_mb(self.nbytes)} at {self.nbytes / 1e6 / dt:,.1f} MB/s"

    def _eta(self) -> str:
        dt = time.perf_counter() - self._t0
        if not self.done or not self.total:
            return "?"
        return f"{dt * (self.total - self.done) / self.done:.0f} s"

    def update(self, done: Optional[int] = None, nbytes: int = 0) -> None:
        """Set the items done (``None``: bytes are the unit, advance by ``nbytes``) and add ``nbytes`` written."""
        self.nbytes += int(nbytes)
        self.done = self.nbytes if done is None and self.unit == "B" else int(done if done is not None else self.done)
        now = time.perf_counter()
        if self._progress is None and self._bar and self.quiet_below_s and now - self._t0 >= self.quiet_below_s:
            self.quiet_below_s, t0 = 0.0, self._t0
            self.__enter__()  # long after all: start the bar now
            self._t0 = t0
        if self._progress is not None:
            self._progress.update(self._task, completed=self.done, extra=self._extra())
            return
        if now - self._last_log >= LOG_EVERY_S:
            self._last_log = now
            log.info("%s: %s/%s %s, %s, ETA %s", self.label, self._count(self.done), self._count(self.total),
                     "" if self.unit == "B" else self.unit, self._extra(), self._eta())

    def _count(self, n: int) -> str:
        return _mb(n) if self.unit == "B" else str(n)

    def __call__(self, done: int, total: int, nbytes: int, unit: str) -> None:
        """The generators' ``report(done, total, bytes, unit)`` callback."""
        if total and total != self.total:
            self.total = total
            if self._progress is not None:
                self._progress.update(self._task, total=total)
        self.unit = unit or self.unit
        self.update(done, nbytes)

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()
        dt = time.perf_counter() - self._t0
        if exc[0] is None and dt >= self.quiet_below_s:
            log.info("%s: %s %s in %.1f s (%s, %.1f MB/s)", self.label, self._count(self.done),
                     "" if self.unit == "B" else self.unit, dt, _mb(self.nbytes), self.nbytes / 1e6 / max(dt, 1e-9))
