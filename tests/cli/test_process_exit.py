"""The run entry points end without the interpreter's teardown, but with everything normal exit keeps."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest


def _end(body: str, tmp_path) -> subprocess.CompletedProcess:
    script = textwrap.dedent('''
        import atexit, sys, threading, time
        from pathlib import Path
        from sciml_mlflow.cli.process_exit import run_then_exit
        out = Path(sys.argv[1])
        atexit.register(lambda: (out / "atexit").write_text("ran"))
        sys.stdout.write("buffered, not yet flushed")
    ''') + textwrap.dedent(body)
    return subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("entry, code", [("lambda: None", 0), ("lambda: 3", 3), ("lambda: sys.exit(4)", 4),
                                         ("lambda: sys.exit()", 0)])
def test_the_exit_code_atexit_handlers_and_buffered_output_survive(entry, code, tmp_path):
    proc = _end(f"run_then_exit({entry})\n", tmp_path)
    assert proc.returncode == code, proc.stderr
    assert (tmp_path / "atexit").read_text() == "ran", "atexit handlers (logging's flush among them) must run"
    assert proc.stdout == "buffered, not yet flushed", "buffered stdout must be flushed before the process ends"


def test_a_message_exit_prints_it_and_exits_1_as_python_does(tmp_path):
    proc = _end("run_then_exit(lambda: sys.exit('error: no such benchmark'))\n", tmp_path)
    assert proc.returncode == 1 and "error: no such benchmark" in proc.stderr


def test_non_daemon_threads_finish_before_the_process_ends(tmp_path):
    proc = _end('''
        def late():
            time.sleep(0.5)
            (out / "thread").write_text("done")
        threading.Thread(target=late).start()
        run_then_exit(lambda: 0)
    ''', tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "thread").read_text() == "done", "a non-daemon thread was cut off"


def test_an_uncaught_exception_still_ends_the_ordinary_way(tmp_path):
    proc = _end("run_then_exit(lambda: 1 / 0)\n", tmp_path)
    assert proc.returncode == 1 and "ZeroDivisionError" in proc.stderr  # Python's traceback and status
    assert (tmp_path / "atexit").read_text() == "ran"


def test_threading_shutdown_hooks_run_before_threads_are_joined(tmp_path):
    # A pool's manager thread (joblib's loky, concurrent.futures) waits for the hook that threading's
    # shutdown calls; joining it first hung `hydra/launcher=parallel` sweeps at exit.
    proc = _end('''
        stop = threading.Event()
        threading._register_atexit(stop.set)
        threading.Thread(target=lambda: (stop.wait(), (out / "thread").write_text("stopped"))).start()
        run_then_exit(lambda: 0)
    ''', tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "thread").read_text() == "stopped"
