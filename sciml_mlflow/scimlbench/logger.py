"""SciMLBench's multi-level loggers: ``params_out.log`` and its ``console`` / ``host`` / ``device``.

The API follows SciMLBench's ``MultiLevelLogger`` (``begin``, ``ended``, ``message``, ``subproc``,
``activate``, ``activated``, ``current_level``, ``elapsed_shallowest``) and its logger collection
(``params_out.log.begin`` reaches all three).  One deliberate difference: the console logger made by the
adapter records whether or not the benchmark called ``activate`` (SciMLBench drops the lines of a logger
never activated; several of its benchmarks never activate and would lose everything).  Host and device
loggers, and a logger a benchmark makes itself, behave as SciMLBench's: silent until ``activate``.
"""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import ContextManager, Iterator, List, Optional, Union

from sciml_mlflow.errors import BenchmarkContractError
from sciml_mlflow.scimlbench.journal import Journal


@dataclass
class _Proc:
    name: str
    started: float
    phase: Optional[ContextManager[None]]

    def elapsed(self) -> float:
        return time.time() - self.started


class ProcLogger:
    """A logger of nested procs (SciMLBench's ``MultiLevelLogger``)."""

    def __init__(self, indent_char: str = ".", indent_width: int = 4, *, journal: Optional[Journal] = None,
                 stream: str = "console", always: bool = False) -> None:
        self._indent = indent_char * indent_width
        self._journal = journal
        self._stream = stream
        self._always = always and journal is not None  # records before (and without) activate()
        self._procs: List[_Proc] = []
        self._own: Optional[logging.Logger] = None  # set by activate() on a logger without a journal

    # -- activation --------------------------------------------------------------------------------
    def activate(self, name: str, file_path: Union[str, Path], screen: bool = True) -> None:
        """Start writing.  With a journal the run's log files already collect every line, so this only marks
        the logger active; without one it logs to ``file_path`` (and the screen) as SciMLBench does."""
        if self._journal is not None:
            self._own = logging.getLogger(f"sciml_mlflow.scimlbench.{name}")
            return
        own = logging.getLogger(f"sciml_mlflow.scimlbench.{name}")
        own.setLevel(logging.INFO)
        own.propagate = screen
        own.addHandler(logging.FileHandler(Path(file_path).expanduser(), "w"))
        self._own = own

    @property
    def activated(self) -> bool:
        return self._own is not None

    @property
    def recording(self) -> bool:
        return self._always or self._own is not None

    @property
    def current_level(self) -> int:
        return len(self._procs)

    @property
    def elapsed_shallowest(self) -> float:
        """Seconds since the innermost open proc began (SciMLBench's name); 0 when none is open."""
        return self._procs[-1].elapsed() if self._procs else 0.0

    # -- records -----------------------------------------------------------------------------------
    def _line(self, text: str) -> None:
        line = self._indent * self.current_level + text
        if self._journal is not None:
            self._journal.write(self._stream, line)
        elif self._own is not None:
            self._own.info("%s", line)

    def begin(self, proc_name: str) -> None:
        """Open proc ``proc_name`` (timed as phase ``system/time_<proc>_s``)."""
        if not self.recording:
            return
        self._line(f"<BEGIN> {proc_name}")
        phase = self._journal.proc_started(proc_name) if self._journal is not None else None
        self._procs.append(_Proc(proc_name, time.time(), phase))

    def ended(self, proc_name: str = "") -> None:
        """Close the innermost proc; a name, when given, must match it (as in SciMLBench)."""
        if not self.recording:
            return
        if not self._procs:
            raise BenchmarkContractError(
                f"{self._stream} logger: ended({proc_name!r}) without a matching begin(); every ended() closes the "
                "innermost begin(), so check the benchmark's begin/ended pairs (or use `with log.subproc(name):`)")
        top = self._procs[-1]
        if proc_name and proc_name != top.name:
            raise BenchmarkContractError(
                f"{self._stream} logger: ended({proc_name!r}) but the innermost open proc is {top.name!r}; "
                "begin() and ended() must pair up innermost first")
        self._procs.pop()
        if self._journal is not None:
            self._journal.proc_ended(top.name, top.phase)
        self._line(f"<ENDED> {top.name} [ELAPSED = {top.elapsed():f} sec]")

    def message(self, what: str) -> None:
        """Log ``what`` (every line of it) inside the current proc."""
        if not self.recording:
            return
        for i, line in enumerate(str(what).split("\n")):
            self._line(("<MESSG> " if i == 0 else " " * 8) + line.strip())

    @contextlib.contextmanager
    def subproc(self, proc_name: str) -> Iterator["ProcLogger"]:
        """``with log.subproc(name):`` = ``begin(name)`` ... ``ended(name)``, also when the block raises."""
        self.begin(proc_name)
        try:
            yield self
        finally:
            self.ended(proc_name)

    def close_open(self) -> None:
        """Forget procs still open at the end (their phases are closed by the journal)."""
        self._procs.clear()


class Loggers:
    """``params_out.log``: the console, host and device loggers, and calls that reach all three."""

    def __init__(self, journal: Optional[Journal] = None) -> None:
        self.console = ProcLogger(journal=journal, stream="console", always=True)
        self.host = ProcLogger(journal=journal, stream="host")
        self.device = ProcLogger(journal=journal, stream="device")
        self._journal = journal

    def _all(self) -> List[ProcLogger]:
        return [self.console, self.host, self.device]

    def activate(self, log_dir: Union[str, Path], rank: int, local_rank: int, activate_host: bool = False,
                 activate_device: bool = False, console_on_screen: bool = True) -> None:
        """Mark loggers active by rank as SciMLBench does (console on rank 0, host on local rank 0)."""
        log_dir = Path(log_dir)
        if rank == 0:
            self.console.activate("console", log_dir / "console.log", screen=console_on_screen)
        if activate_host and local_rank == 0:
            self.host.activate(f"host{rank}", log_dir / f"host{rank}.log", screen=False)
        if activate_device:
            self.device.activate(f"device{rank}", log_dir / f"device{rank}.log", screen=False)

    def begin(self, proc_name: str) -> None:
        for logger in self._all():
            logger.begin(proc_name)

    def ended(self, proc_name: str = "") -> None:
        for logger in self._all():
            logger.ended(proc_name)

    def message(self, what: str) -> None:
        for logger in self._all():
            logger.message(what)

    @contextlib.contextmanager
    def subproc(self, proc_name: str) -> Iterator["Loggers"]:
        self.begin(proc_name)
        try:
            yield self
        finally:
            self.ended(proc_name)

    def close_open(self) -> None:
        for logger in self._all():
            logger.close_open()


__all__ = ["ProcLogger", "Loggers"]
