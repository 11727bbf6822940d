"""Connecting to the tracking store: URI, experiments, MLflow's own telemetry off.

Translates MLflow's connection errors into TrackingError with what to do, and fails fast on an
unreachable server instead of MLflow's minutes of HTTP retries.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from pathlib import Path
from typing import Optional
from urllib.parse import urlsplit

from sciml_mlflow.errors import TrackingError
from sciml_mlflow.tracking.redact import redact_uri, strip_uri_credentials

log = logging.getLogger(__name__)
EXPERIMENT_KIND_TAG = "mlflow.experimentKind"  # read by MLflow 3.x's UI to choose its layout


def quiet_mlflow_env() -> None:
    """Settings applied before mlflow is imported: no usage telemetry, bounded HTTP retries."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("DO_NOT_TRACK", "true")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "1")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "30")


def connect(uri: str) -> "object":
    """Point MLflow at ``uri`` (creating the SQLite file's folder) and return an MlflowClient.

    For SQLite the first-use file lock is taken *before* anything builds a client: ``MlflowClient()``
    creates and migrates a fresh schema, and four processes doing so at once broke the store ("duplicate
    column name") when the lock was taken only around the first query.
    """
    quiet_mlflow_env()
    import mlflow
    from mlflow.tracking import MlflowClient

    if uri.startswith("sqlite:///"):
        db = Path(uri[len("sqlite:///"):]).expanduser()
        check_writable(db if db.exists() else db.parent, "the tracking store", "tracking.uri")
        db.parent.mkdir(parents=True, exist_ok=True)
    if urlsplit(uri).scheme in ("http", "https"):
        probe_server(uri)
    try:
        with _first_use_lock(uri):
            mlflow.set_tracking_uri(uri)
            client = MlflowClient(tracking_uri=uri)
            client.search_experiments(max_results=1)  # creates and migrates a fresh SQLite schema
    except Exception as exc:
        shown = strip_uri_credentials(uri)
        text = redact_uri(str(exc))
        if urlsplit(uri).scheme not in ("http", "https"):
            hint = "check the path and that the file is a valid MLflow store"
        elif any(s in text for s in ("401", "403", "Unauthorized", "PERMISSION_DENIED", "UNAUTHENTICATED")):
            hint = ("the server refused our credentials: set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD "
                    "in the environment (never in config)")
        else:
            hint = "start it with `sciml-mlflow server start` or choose tracking=local"
        raise TrackingError(f"cannot use the tracking store {shown}: {type(exc).__name__}: {text[:300]}; {hint}") from exc
    return client


def check_writable(path: Path, what: str, key: str) -> None:
    """Raise ConfigError unless this user can write ``path`` (or create it under its nearest existing folder)."""
    from sciml_mlflow.errors import ConfigError

    target = probe = Path(path).expanduser()
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    blocked = probe != target and not probe.is_dir()  # e.g. a file where a folder must be made
    if blocked or not os.access(probe, os.W_OK) or (probe.is_dir() and not os.access(probe, os.X_OK)):
        raise ConfigError(f"{key}: {what} at {path} is not writable by this user ({probe} refuses writes); "
                          "choose a writable location (e.g. SCIML_MLFLOW_HOME=<folder>) or fix its permissions")


def uri_env_name(uri: str) -> str:
    """The environment variable the user set to choose ``uri`` (for hints that name the right one)."""
    for name in ("MLFLOW_TRACKING_URI", "SCIML_TRACKING_URI"):
        if os.environ.get(name) == uri:
            return name
    return "SCIML_TRACKING_URI"


#: A down server must fail a run in seconds, not after MLflow's minutes of HTTP retries.
_PROBE_ATTEMPTS = 3
_PROBE_TIMEOUT_S = 2.0
_PROBE_PAUSE_S = 0.5


def probe_server(uri: str, attempts: int = _PROBE_ATTEMPTS, timeout_s: float = _PROBE_TIMEOUT_S) -> None:
    """Raise TrackingError unless something answers HTTP at ``uri`` (bounded: ~``attempts × timeout_s``).

    Any HTTP answer counts (a proxy without ``/health`` is fine: MLflow's own call judges it); only a refused,
    unroutable or silent address fails here.
    """
    import urllib.error
    import urllib.request

    shown = strip_uri_credentials(uri)
    url = shown.rstrip("/") + "/health"
    last: Exception = TrackingError("no attempt made")
    for attempt in range(attempts):
        try:
            with urllib.request.urlopen(url, timeout=timeout_s):  # noqa: S310 - http(s) checked by the caller
                return
        except urllib.error.HTTPError:
            return  # it answered
        except (urllib.error.URLError, OSError) as exc:
            last = exc
            if attempt + 1 < attempts:
                time.sleep(_PROBE_PAUSE_S)
    reason = getattr(last, "reason", last)
    raise TrackingError(
        f"no tracking server answers at {shown} ({attempts} attempts, {timeout_s:.0f} s timeout each: {reason}); "
        f"start it with `sciml-mlflow server start`, point {uri_env_name(uri)} at the running one, "
        "or choose tracking=local"
    )


def _first_use_lock(uri: str) -> "contextlib.AbstractContextManager[object]":
    """Serialise the first use of a SQLite store across processes (parallel sweep jobs).

    Several processes opening a *fresh* SQLite store at once race on MLflow's schema migrations and can
    leave it permanently broken; once initialised, SQLite's busy timeout serialises writers.  The lock is
    a sibling ``<db>.lock`` file (filelock: POSIX and Windows); other stores need none.
    """
    if not uri.startswith("sqlite:///"):
        return contextlib.nullcontext()
    from filelock import FileLock

    db = Path(uri[len("sqlite:///"):]).expanduser()
    return FileLock(str(db) + ".lock", timeout=300)


def ensure_experiment(client: "object", name: str, artifact_root: Optional[str]) -> str:
    """Experiment id for ``name``, created (with its artifact location) when missing."""
    exp = client.get_experiment_by_name(name)  # type: ignore[attr-defined]
    if exp is not None:
        if str(exp.artifact_location).startswith("file://"):
            from urllib.parse import unquote

            check_writable(Path(unquote(urlsplit(exp.artifact_location).path)), f"the artifact folder of experiment {name!r}",
                           "tracking.artifact_root")
        if exp.lifecycle_stage == "deleted":
            client.restore_experiment(exp.experiment_id)  # type: ignore[attr-defined]
        return exp.experiment_id
    location = None
    if artifact_root and "://" not in artifact_root:
        check_writable(Path(artifact_root), "the artifact root", "tracking.artifact_root")
    if artifact_root:
        if "://" not in artifact_root:
            path = Path(artifact_root).expanduser().resolve() / name.replace("/", "_")
            path.mkdir(parents=True, exist_ok=True)
            location = path.as_uri()
        else:
            location = artifact_root.rstrip("/") + "/" + name.replace("/", "_")
    try:
        # The UI files an experiment it cannot classify under GenAI "evaluation runs"; ours are model training.
        return client.create_experiment(name, artifact_location=location,  # type: ignore[attr-defined]
                                        tags={EXPERIMENT_KIND_TAG: "custom_model_development"})
    except Exception:
        # Another process created it between our lookup and create (parallel sweeps).
        exp = client.get_experiment_by_name(name)  # type: ignore[attr-defined]
        if exp is None:
            raise
        return exp.experiment_id


def ui_command(uri: str) -> str:
    """How a user opens the UI for this store."""
    if uri.startswith(("http://", "https://")):
        return f"open {strip_uri_credentials(uri)} in a browser"
    return f"mlflow ui --backend-store-uri {uri}   (then open http://127.0.0.1:5000)"
