"""Where one SciMLBench run's log lines, timed procs and stamped events go.

SciMLBench benchmarks talk through three multi-level loggers (console, host, device) and a system
monitor.  They all write into one journal per run, which turns each kind of record into its MLflow form:

- a line (``<BEGIN>``/``<ENDED>``/``<MESSG>``) -> ``sciml_bench_run_logs/<stream>.log`` under the
  benchmark's output dir (logged as run artifacts) and stdlib logging;
- a proc (``begin``..``ended``) -> a phase of the run context: ``system/time_<proc>_s`` (and ``system/energy_...``
  where energy is measured).  A name already open in any logger is not timed again, so the same
  ``begin`` sent to the logger collection and to the console logger counts once;
- an event (``stamp_event``) -> metric ``system/event_<event>`` (seconds since the entry point started, one
  step per repeat, timestamped when it happened) and a row in ``sciml_bench_run_logs/events.yaml``.
"""

from __future__ import annotations

import contextlib
import logging
import re
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, ContextManager, Dict, List, Optional, TextIO

import yaml

from sciml_mlflow.tracking import metric_keys
from sciml_mlflow.tracking.redact import redact_uri

log = logging.getLogger("sciml_mlflow.scimlbench")
LOG_DIR = "sciml_bench_run_logs"  # SciMLBench's own folder name for run logs inside output_dir
_MAX_NAME = 200
# phase names the framework itself records: a proc called like one is logged as proc_<name> instead
RESERVED_PHASES = frozenset({"total", "unattributed", "data_staging", "writing_outputs"})


def metric_name(text: str) -> str:
    """A proc or event name as a metric-name segment: lower case, ``[a-z0-9_.-]``, at most 200 characters."""
    slug = re.sub(r"[^a-z0-9_.\-]+", "_", text.strip().lower()).strip("_")
    return (slug or "unnamed")[:_MAX_NAME]


class Journal:
    """The per-run recorder behind every logger and the monitor of one entry-point call."""

    def __init__(self, log_dir: Path, phase: Callable[[str], ContextManager[None]], metrics: Any,
                 clock: Callable[[], float] = time.perf_counter) -> None:
        self.log_dir = log_dir
        self._phase = phase
        self._metrics = metrics
        self._clock = clock
        self._t0 = clock()
        self._files: Dict[str, TextIO] = {}
        self._open: Dict[str, int] = {}  # proc metric name -> how many loggers have it open
        self._timed: List[tuple[str, ContextManager[None]]] = []  # open phases, oldest first
        self._events: List[Dict[str, Any]] = []
        self._event_counts: Dict[str, int] = {}
        self.rank = 0
        self.closed = False

    # -- lines -------------------------------------------------------------------------------------
    def write(self, stream: str, line: str) -> None:
        """Append ``line`` to the stream's log file (console.log, host<rank>.log, device<rank>.log); secrets in
        it (URI passwords, key ids) are masked by the framework's one redaction function first."""
        line = redact_uri(line)
        if stream == "console":
            log.info("%s", line)
        else:
            log.debug("[%s] %s", stream, line)
        if self.closed:
            return
        handle = self._files.get(stream)
        if handle is None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            name = "console.log" if stream == "console" else f"{stream}{self.rank}.log"
            handle = self._files[stream] = open(self.log_dir / name, "a", encoding="utf-8", buffering=1)
        handle.write(line + "\n")

    # -- procs -------------------------------------------------------------------------------------
    @staticmethod
    def phase_name(proc: str) -> str:
        """The phase a proc is timed as: its metric name, ``proc_<name>`` when the framework uses that name."""
        name = metric_name(proc)
        return f"proc_{name}" if name in RESERVED_PHASES else name

    def proc_started(self, proc: str) -> Optional[ContextManager[None]]:
        """Open a phase for ``proc`` unless one of that name is already open; returns it (or None)."""
        name = self.phase_name(proc)
        self._open[name] = self._open.get(name, 0) + 1
        if self._open[name] > 1 or self.closed:
            return None
        cm = self._phase(name)
        cm.__enter__()
        self._timed.append((name, cm))
        return cm

    def proc_ended(self, proc: str, cm: Optional[ContextManager[None]]) -> None:
        """Close what ``proc_started`` opened (out of order is fine: each phase keeps its own start)."""
        name = self.phase_name(proc)
        self._open[name] = max(0, self._open.get(name, 0) - 1)
        if cm is None:
            return
        for i, (_, open_cm) in enumerate(self._timed):
            if open_cm is cm:
                del self._timed[i]
                cm.__exit__(None, None, None)
                return

    # -- events ------------------------------------------------------------------------------------
    def event(self, text: str) -> None:
        """Record a stamped event: a metric step now and a row for events.yaml."""
        elapsed = self._clock() - self._t0
        text = redact_uri(str(text))
        name = metric_name(text)
        step = self._event_counts.get(name, 0)
        self._event_counts[name] = step + 1
        self._metrics.log(metric_keys.event(name), elapsed, step=step)
        self._events.append({
            "event": text, "elapsed_s": round(elapsed, 6),
            "utc": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            "open_procs": [n for n, _ in self._timed],
        })
        self.write("console", f"<EVENT> {text} [AT = {elapsed:f} sec]")

    @property
    def events(self) -> List[Dict[str, Any]]:
        return list(self._events)

    # -- end ---------------------------------------------------------------------------------------
    def close(self) -> None:
        """End procs left open (a benchmark that raised inside ``begin``), write events.yaml, close files."""
        if self.closed:
            return
        while self._timed:
            name, cm = self._timed.pop()
            with contextlib.suppress(Exception):
                cm.__exit__(None, None, None)
            log.debug("proc %s was still open when the entry point returned: timed up to now", name)
        if self._events:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            (self.log_dir / "events.yaml").write_text(yaml.safe_dump(self._events, sort_keys=False))
        for handle in self._files.values():
            handle.close()
        self._files.clear()
        self.closed = True


__all__ = ["Journal", "LOG_DIR", "metric_name"]
