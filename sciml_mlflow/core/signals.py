"""Termination signals as an exception, so a killed run still ends properly.

Schedulers stop jobs with SIGTERM (SLURM walltime, ``scancel``, ``docker stop``, Kubernetes) and warn of
pre-emption with SIGUSR1 (``sbatch --signal=USR1@60``); Python's default turns SIGTERM into an immediate
exit that skips every ``finally`` and leaves the MLflow run RUNNING forever.  Inside ``terminating()`` these
signals (and SIGINT) raise ``RunTerminated`` in the main thread instead: the runner's cleanup flushes the
metrics, tags ``reason`` and ends the run KILLED, and the CLI closes sweep parents.  Once one signal was
taken, later ones are logged and ignored so that the cleanup itself is not interrupted (a scheduler that
will not wait sends SIGKILL, which `sciml-mlflow runs reconcile` handles).
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from typing import Any, Dict, Iterator, Optional

from sciml_mlflow.errors import RunTerminated

log = logging.getLogger(__name__)

REASONS: Dict[int, str] = {
    signal.SIGTERM: "SIGTERM (terminated: scheduler walltime, scancel, docker stop or kill)",
    signal.SIGINT: "SIGINT (interrupted: Ctrl-C)",
    signal.SIGUSR1: "SIGUSR1 (pre-emption warning from the scheduler)",
    signal.SIGHUP: "SIGHUP (terminal or session closed)",
}
REASON_TAG = "reason"

_taken: Optional[RunTerminated] = None


def _handler(signum: int, frame: Any) -> None:
    global _taken
    if _taken is not None:
        log.warning("%s received while already stopping for %s: ignored, cleanup continues",
                    signal.Signals(signum).name, _taken.reason)
        return
    _taken = RunTerminated(signum, REASONS.get(signum, signal.Signals(signum).name))
    log.error("stopping: %s", _taken.reason)
    raise _taken


@contextlib.contextmanager
def terminating() -> Iterator[None]:
    """Turn SIGTERM, SIGINT, SIGUSR1 and SIGHUP into ``RunTerminated`` while the block runs (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {}
    for signum in REASONS:
        try:
            previous[signum] = signal.signal(signum, _handler)
        except (ValueError, OSError):  # not settable here (embedded interpreter): keep the default
            pass
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


SCHEDULER_REASONS: Dict[int, str] = {
    signal.SIGTERM: REASONS[signal.SIGTERM],
}
WARNING_SIGNALS = {signal.SIGUSR2: "SIGUSR2 (submitit's walltime or pre-emption warning, sbatch --signal=USR2@<s>)"}


def _warned(signum: int, frame: Any) -> None:
    log.warning("%s: the run goes on; the scheduler's SIGTERM at the limit ends it KILLED",
                WARNING_SIGNALS.get(signum, signal.Signals(signum).name))


def take_over_from_scheduler_wrapper() -> None:
    """In a job process run by a scheduler's Python wrapper (submitit's ``_submit``), handle SIGTERM and
    SIGUSR2 ourselves for the rest of the process.  submitit ignores SIGTERM ("Bypassing signal") and turns
    its SIGUSR2 warning into an ``UncompletedJobError`` raised inside the run (which would end it FAILED, and
    arrives at once when the time limit is shorter than the warning delay).  Here SIGTERM (walltime,
    ``scancel``, requeue) ends the run KILLED and SIGUSR2 is logged (docs/sweeps.md, walltime).
    Main thread only; a no-op elsewhere."""
    if threading.current_thread() is not threading.main_thread():
        return
    handlers = {**{s: _handler for s in SCHEDULER_REASONS}, **{s: _warned for s in WARNING_SIGNALS}}
    for signum, fn in handlers.items():
        try:
            signal.signal(signum, fn)
        except (ValueError, OSError):
            pass


def reason_of(exc: BaseException) -> str:
    """The ``reason`` tag for a run that ends because of ``exc`` (a signal, or Ctrl-C without our handler)."""
    return exc.reason if isinstance(exc, RunTerminated) else REASONS[signal.SIGINT]


def taken() -> Optional[RunTerminated]:
    """The signal this process is stopping for, if any."""
    return _taken


def exit_code(exc: BaseException) -> int:
    """The shell's convention: 128 + signal number (143 for SIGTERM, 130 for Ctrl-C)."""
    return 128 + (exc.signum if isinstance(exc, RunTerminated) else int(signal.SIGINT))
