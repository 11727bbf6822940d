"""What a SciMLBench entry point writes through: ``params_out`` (SciMLBench's ``RuntimeOut``).

``params_out.log`` is the logger collection (logger.py); ``params_out.system`` the monitor, whose
``stamp_event`` is the one call benchmarks make on it.  System sampling itself is the framework's
telemetry (system/* metrics for the whole run), so ``activate``/``report``/``abort`` only keep
SciMLBench's call shapes working.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Union

from sciml_mlflow.scimlbench.journal import Journal
from sciml_mlflow.scimlbench.logger import Loggers


class Monitor:
    """``params_out.system`` (SciMLBench's ``SystemMonitor``): stamped events; sampling is the framework's."""

    def __init__(self, journal: Optional[Journal] = None, interval: float = 1.0) -> None:
        self._journal = journal
        self.interval = interval
        self.rank: Optional[int] = None

    def activate(self, rank: int, local_rank: int) -> None:
        self.rank = rank

    def stamp_event(self, event: str) -> None:
        """Mark ``event`` at this moment: metric ``system/event_<event>`` and a row in events.yaml.  Recorded even
        before ``activate`` (SciMLBench would drop it), so no event a benchmark stamps is lost."""
        if self._journal is not None:
            self._journal.event(event)

    def report(self, output_dir: Union[str, Path, None] = None, style: Optional[str] = None) -> None:
        """Nothing to write: samples are already system/* metrics of the run, events go to events.yaml."""

    def abort(self) -> None:
        """Nothing to stop: the framework's sampler ends with the run."""


class ParamsOut:
    """SciMLBench's ``RuntimeOut``: ``log`` (loggers), ``system`` (monitor), ``activate(rank, local_rank, ...)``."""

    def __init__(self, journal: Journal) -> None:
        self._journal = journal
        self.log = Loggers(journal)
        self.system = Monitor(journal)
        self.activated = False

    def activate(self, rank: int, local_rank: int, activate_log_on_host: bool = False,
                 activate_log_on_device: bool = False, console_on_screen: bool = True) -> None:
        """Activate loggers by rank (console on rank 0; host/device logs when asked) and the monitor."""
        self._journal.rank = int(rank)
        self.log.activate(self._journal.log_dir, rank, local_rank, activate_host=activate_log_on_host,
                          activate_device=activate_log_on_device, console_on_screen=console_on_screen)
        self.system.activate(rank, local_rank)
        self.activated = True

    def report(self) -> None:
        """SciMLBench's end-of-run monitor report; the adapter writes everything when the entry point returns."""
        self.system.report()


__all__ = ["ParamsOut", "Monitor"]
