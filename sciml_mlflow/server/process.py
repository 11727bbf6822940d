"""Start, stop and inspect the ``mlflow server`` process of a group.

The server runs detached in its own session (so it outlives the command that started it), writes to
a log file and leaves a PID file under the state dir (default ``~/.sciml_mlflow/server/``).  ``start``
returns only once ``/health`` answers; ``stop`` signals exactly the process group it started (checked
against the PID file and the process's command line, so a recycled PID is never signalled).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional

from sciml_mlflow.errors import TrackingError
from sciml_mlflow.server.settings import ARTIFACTS_ENV, DB_URI_ENV, ServerSettings
from sciml_mlflow.tracking.redact import redact_uri

log = logging.getLogger(__name__)

PID_FILE = "mlflow-server.pid"
LOG_FILE = "mlflow-server.log"


@dataclass(frozen=True)
class ServerStatus:
    """What ``status`` found: a live process (pid), whether /health answers, and its memory."""

    running: bool
    url: Optional[str] = None
    pid: Optional[int] = None
    healthy: bool = False
    rss_bytes: int = 0  # resident memory of the server and all its child processes
    log_file: Optional[Path] = None
    backend_store_uri: Optional[str] = None  # password-less
    artifacts_destination: Optional[str] = None


def command(settings: ServerSettings) -> List[str]:
    """The ``mlflow server`` command line; it carries no secret (``ps`` shows it to everyone)."""
    cmd = [
        sys.executable, "-m", "mlflow", "server",
        "--backend-store-uri", settings.backend_store_uri,
        "--serve-artifacts", "--artifacts-destination", settings.artifacts_destination,
        "--host", settings.host, "--port", str(settings.port),
        "--workers", str(settings.workers),
    ]
    if settings.allowed_hosts:
        cmd += ["--allowed-hosts", settings.allowed_hosts]
    if settings.auth:
        cmd += ["--app-name", "basic-auth"]
    return cmd


def server_env(settings: ServerSettings, base: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    """The server's environment: inherited (AWS_*, MLFLOW_S3_ENDPOINT_URL), plus the DB password for libpq."""
    env = dict(os.environ if base is None else base)
    env.pop(DB_URI_ENV, None)  # its password now travels as PGPASSWORD only
    if settings.db_password:
        env["PGPASSWORD"] = settings.db_password
    # See ServerSettings.job_execution: the huey job runner costs ~2.8 GB and tracking needs none of it.
    env["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] = "true" if settings.job_execution else "false"
    env.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    env.setdefault("DO_NOT_TRACK", "true")
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def _port_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def health(url: str, timeout_s: float = 2.0) -> bool:
    """True when ``<url>/health`` answers 200 (no credentials needed, even with basic auth on)."""
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=timeout_s) as resp:  # noqa: S310 - http(s) only
            return resp.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _log_tail(path: Path, lines: int = 25) -> str:
    try:
        text = path.read_text(errors="replace").splitlines()[-lines:]
    except OSError:
        return "(no log)"
    return "\n".join(redact_uri(line) for line in text)


def _read_pid_file(state_dir: Path) -> Optional[dict]:
    try:
        return json.loads((state_dir / PID_FILE).read_text())
    except (OSError, ValueError):
        return None


def _our_process(pid: int) -> Optional["object"]:
    """The psutil.Process for ``pid`` if it is alive and is an mlflow server (not a recycled PID)."""
    import psutil

    try:
        proc = psutil.Process(pid)
        cmdline = " ".join(proc.cmdline())
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return None
    if proc.status() == psutil.STATUS_ZOMBIE or "mlflow" not in cmdline or "server" not in cmdline:
        return None
    return proc


def _tree_rss(proc: "object") -> int:
    import psutil

    total = 0
    for p in [proc, *proc.children(recursive=True)]:  # type: ignore[attr-defined]
        try:
            total += p.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return total


def status(state_dir: Path) -> ServerStatus:
    """The server recorded in ``state_dir``'s PID file, if its process is alive."""
    info = _read_pid_file(state_dir)
    if not info:
        return ServerStatus(running=False, log_file=state_dir / LOG_FILE)
    proc = _our_process(int(info["pid"]))
    if proc is None:
        return ServerStatus(running=False, url=info.get("url"), log_file=state_dir / LOG_FILE)
    return ServerStatus(
        running=True, url=info["url"], pid=int(info["pid"]), healthy=health(info["url"]),
        rss_bytes=_tree_rss(proc), log_file=state_dir / LOG_FILE,
        backend_store_uri=info.get("backend_store_uri"), artifacts_destination=info.get("artifacts_destination"),
    )


def start(settings: ServerSettings, base_env: Optional[Dict[str, str]] = None) -> ServerStatus:
    """Start the server detached and wait until ``/health`` answers; raises TrackingError on failure.

    ``base_env`` (default: this process's environment) is what the server inherits: AWS_* credentials and
    MLFLOW_S3_ENDPOINT_URL for its artifact store.
    """
    from sciml_mlflow.server import auth

    state = auth.private_dir(settings.state_dir)
    current = status(state)
    if current.running:
        raise TrackingError(f"a tracking server is already running at {current.url} (pid {current.pid}, state dir "
                            f"{state}); stop it first with `sciml-mlflow server stop`")
    if not _port_free(settings.host, settings.port):
        raise TrackingError(f"port {settings.port} on {settings.host} is already in use; choose another with --port")
    if settings.workers > 1:
        log.warning("--workers %d: with more than one uvicorn worker every request was measured to wait ~43 ms "
                    "(missing TCP_NODELAY); 1 is recommended", settings.workers)
    if "://" not in settings.artifacts_destination:
        Path(settings.artifacts_destination).mkdir(parents=True, exist_ok=True)
        log.warning("no %s set: artifacts go to the local folder %s (fine for one machine; a group wants S3)",
                    ARTIFACTS_ENV, settings.artifacts_destination)
    env = server_env(settings, base_env)
    ini = auth.prepare(settings, env) if settings.auth else None
    log_path = state / LOG_FILE
    with open(log_path, "ab") as log_fh:
        log_fh.write(f"\n--- start {time.strftime('%Y-%m-%d %H:%M:%S')} {settings.url}\n".encode())
        proc = subprocess.Popen(command(settings), env=env, cwd=state, stdin=subprocess.DEVNULL, stdout=log_fh,
                                stderr=subprocess.STDOUT, start_new_session=True)
    record = {"pid": proc.pid, "url": settings.url, "backend_store_uri": redact_uri(settings.backend_store_uri),
              "artifacts_destination": settings.artifacts_destination, "auth_ini": str(ini) if ini else None}
    (state / PID_FILE).write_text(json.dumps(record))
    log.info("mlflow server pid %d starting at %s (log %s)", proc.pid, settings.url, log_path)
    deadline = time.monotonic() + settings.startup_timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            stop(state)
            raise TrackingError(f"mlflow server exited with code {proc.returncode} during start-up; "
                                f"last lines of {log_path}:\n{_log_tail(log_path)}")
        if health(settings.url, timeout_s=1.0):
            return status(state)
        time.sleep(0.2)
    stop(state)
    raise TrackingError(f"mlflow server did not answer {settings.url}/health within {settings.startup_timeout_s:.0f} s; "
                        f"last lines of {log_path}:\n{_log_tail(log_path)}")


def stop(state_dir: Path, timeout_s: float = 15.0) -> bool:
    """Stop the server recorded in ``state_dir`` (SIGTERM to its process group, SIGKILL after ``timeout_s``).

    Returns True when a running server was stopped; the PID file and the auth ini are removed either way.
    """
    import psutil

    info = _read_pid_file(state_dir)
    stopped = False
    if info:
        proc = _our_process(int(info["pid"]))
        if proc is not None:
            family = [proc, *proc.children(recursive=True)]  # type: ignore[attr-defined]
            pid = int(info["pid"])
            try:
                if os.getpgid(pid) == pid:  # the group start() created (start_new_session): uvicorn included
                    os.killpg(pid, signal.SIGTERM)
                else:
                    proc.terminate()  # type: ignore[attr-defined]
            except (ProcessLookupError, psutil.NoSuchProcess):
                pass
            _, alive = psutil.wait_procs(family, timeout=timeout_s)
            for p in alive:
                log.warning("mlflow server process %d ignored SIGTERM for %.0f s: killing it", p.pid, timeout_s)
                try:
                    p.kill()
                except psutil.NoSuchProcess:
                    pass
            psutil.wait_procs(alive, timeout=5)
            stopped = True
        if info.get("auth_ini"):
            Path(info["auth_ini"]).unlink(missing_ok=True)
    (state_dir / PID_FILE).unlink(missing_ok=True)
    try:  # reap our own child, if this process started it (avoids a zombie in long-lived test sessions)
        os.waitpid(int(info["pid"]), os.WNOHANG) if info else None
    except (ChildProcessError, OSError):
        pass
    return stopped
