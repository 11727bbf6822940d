"""Ending a run process once its work is done, without the interpreter's module teardown.

Why: after a run, CPython finalises every imported module (torch, MLflow, pandas, SQLAlchemy, Hydra) and
collects what they hold.  Measured on the default ``small`` dms_structure run: the run app returned 2.3 s
before the process ended, and the ``atexit`` handlers took 0.03 s of that; the rest was teardown that
writes nothing.  So the run entry points end like this: wait for non-daemon threads (what normal exit
does first, after threading's shutdown hooks), run the ``atexit`` handlers (logging's final flush, multiprocessing's children, MLflow's
run guard, file locks), flush stdout/stderr, then ``os._exit`` with the exit code.

Only the console entry points use it; code that calls ``hydra_app.main`` in-process (tests, the sweep
launchers) keeps the ordinary exit.  Uncaught exceptions (KeyboardInterrupt included) still propagate and
end the process the ordinary way, with Python's traceback and exit status.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from typing import Callable, NoReturn, Optional


def _code(exc: SystemExit) -> int:
    """The status ``sys.exit(value)`` would give: None -> 0, int -> itself, anything else printed -> 1."""
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code
    print(exc.code, file=sys.stderr)
    return 1


def end_process(code: int) -> NoReturn:
    """Exit with ``code`` after what normal exit does that matters: threads, atexit handlers, flushed streams."""
    # What Py_FinalizeEx does first, in its order: threading's shutdown hooks (``threading._register_atexit``:
    # executors such as joblib's loky stop their manager threads there), then it joins the non-daemon
    # threads; joining before those hooks would wait forever on a pool's manager thread.
    shutdown = getattr(threading, "_shutdown", None)
    if shutdown is not None:
        shutdown()
    else:  # not CPython: join what is left
        for thread in threading.enumerate():
            if thread is not threading.main_thread() and not thread.daemon:
                thread.join()
    atexit._run_exitfuncs()  # CPython's own runner of the registered handlers (what normal exit calls next)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed or broken pipe: nothing left to flush into
            pass
    os._exit(code)


def run_then_exit(entry: Callable[[], Optional[int]]) -> NoReturn:
    """Run ``entry`` (returns an exit code or None, or raises SystemExit) and end the process with it."""
    try:
        code = int(entry() or 0)
    except SystemExit as exc:
        code = _code(exc)
    end_process(code)
