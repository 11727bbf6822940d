"""Connecting to the tracking store: URI, experiments, MLflow's own telemetry off.

Translates MLflow's connection errors into TrackingError with what to do, and fails fast on an
unreachable server instead of MLflow's minutes of HTTP retries.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Optional
from urllib.parse import urlsplit

from sciml_mlflow.errors import TrackingError
from sciml_mlflow.tracking.redact import strip_uri_credentials

log = logging.getLogger(__name__)


def quiet_mlflow_env() -> None:
    """Settings applied before mlflow is imported: no usage telemetry, bounded HTTP retries."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("DO_NOT_TRACK", "true")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "1")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "30")


def connect(uri: str) -> "object":
    """Point MLflow at ``uri`` (creating the SQLite file's folder) and return an MlflowClient."""
    quiet_mlflow_env()
    import mlflow
    from mlflow.tracking import MlflowClient

    if uri.startswith("sqlite:///"):
        Path(uri[len("sqlite:///"):]).expanduser().parent.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(uri)
    client = MlflowClient(tracking_uri=uri)
    try:
        client.search_experiments(max_results=1)
    except Exception as exc:
        shown = strip_uri_credentials(uri)
        hint = ("start it with `sciml-mlflow server` or choose tracking=local"
                if urlsplit(uri).scheme in ("http", "https") else "check the path and that the file is a valid MLflow store")
        raise TrackingError(f"cannot reach the tracking store {shown}: {type(exc).__name__}: {str(exc)[:300]}; {hint}") from exc
    return client


def ensure_experiment(client: "object", name: str, artifact_root: Optional[str]) -> str:
    """Experiment id for ``name``, created (with its artifact location) when missing."""
    exp = client.get_experiment_by_name(name)  # type: ignore[attr-defined]
    if exp is not None:
        if exp.lifecycle_stage == "deleted":
            client.restore_experiment(exp.experiment_id)  # type: ignore[attr-defined]
        return exp.experiment_id
    location = None
    if artifact_root:
        if "://" not in artifact_root:
            path = Path(artifact_root).expanduser().resolve() / name.replace("/", "_")
            path.mkdir(parents=True, exist_ok=True)
            location = path.as_uri()
        else:
            location = artifact_root.rstrip("/") + "/" + name.replace("/", "_")
    try:
        return client.create_experiment(name, artifact_location=location)  # type: ignore[attr-defined]
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
