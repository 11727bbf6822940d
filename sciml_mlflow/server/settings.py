"""What a group's tracking server is made of, read from the environment.

Secrets arrive only through environment variables and leave only through the server's environment:

* the database: ``SCIML_DB_URI`` (``postgresql+psycopg2://user:pw@host:port/db``) or libpq's own ``PG*``
  variables (``PGHOST``, ``PGPORT``, ``PGUSER``, ``PGPASSWORD``, ``PGDATABASE``).  The password is split
  off the URI and handed to the server as ``PGPASSWORD`` (libpq reads it), so the URI on the server's
  command line — which ``ps`` shows to every user of the machine — carries none;
* artifacts: ``SCIML_ARTIFACTS_DESTINATION`` (``s3://bucket/path``); the endpoint
  (``MLFLOW_S3_ENDPOINT_URL``) and ``AWS_*`` credentials are inherited by the server, which proxies every
  artifact request (``--serve-artifacts``), so clients need no S3 credentials at all;
* basic auth: the admin password from ``SCIML_SERVER_ADMIN_PASSWORD`` (or MLflow's own
  ``MLFLOW_AUTH_ADMIN_PASSWORD``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Mapping, Optional
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from sciml_mlflow.errors import ConfigError
from sciml_mlflow.tracking.redact import redact_uri

#: Environment variables this module reads (documented in docs/server.md).
DB_URI_ENV = "SCIML_DB_URI"
ARTIFACTS_ENV = "SCIML_ARTIFACTS_DESTINATION"
ADMIN_PASSWORD_ENV = "SCIML_SERVER_ADMIN_PASSWORD"
ADMIN_USER_ENV = "SCIML_SERVER_ADMIN_USER"
STATE_DIR_ENV = "SCIML_SERVER_DIR"


@dataclass(frozen=True)
class ServerSettings:
    """Everything ``process.start`` needs; build it with ``from_env`` (secrets are excluded from repr)."""

    backend_store_uri: str  # SQLAlchemy URI *without* its password (safe to show and to pass as argv)
    artifacts_destination: str  # s3://bucket/path (or a local folder for a one-person server)
    state_dir: Path  # PID file, log file, auth files
    host: str = "127.0.0.1"  # loopback by default: exposing the server is a deliberate choice
    port: int = 5000
    # One uvicorn worker: with more, every request was measured to wait ~40-43 ms (Nagle's algorithm
    # meeting delayed ACKs: uvicorn's multi-worker sockets lack TCP_NODELAY; scripts/bench_server.py).  One async worker serves a
    # group's logging traffic; scale out with more server replicas behind a proxy if ever needed.
    workers: int = 1
    # MLflow 3.x starts a huey job runner (GenAI scorers, trace rollups) next to the server by default;
    # it was measured at ~2.8 GB RSS.  Benchmark tracking uses none of it, so it is off by default.
    job_execution: bool = False
    auth: bool = False  # MLflow's basic-auth app (`--app-name basic-auth`)
    allowed_hosts: Optional[str] = None  # Host headers MLflow accepts beyond localhost/private IPs (DNS name)
    startup_timeout_s: float = 60.0  # readiness wait on /health
    db_password: Optional[str] = field(default=None, repr=False)  # becomes PGPASSWORD in the server env
    admin_password: Optional[str] = field(default=None, repr=False)  # basic-auth admin bootstrap
    admin_user: str = "admin"

    @property
    def url(self) -> str:
        """The tracking URI clients use (``SCIML_TRACKING_URI``)."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}"

    def with_(self, **changes: object) -> "ServerSettings":
        """A copy with some fields changed (CLI flags over environment)."""
        return replace(self, **changes)  # type: ignore[arg-type]


def default_state_dir(environ: Mapping[str, str]) -> Path:
    """``$SCIML_SERVER_DIR`` or ``<sciml home>/server``."""
    from sciml_mlflow.core.resources import home_dir

    if environ.get(STATE_DIR_ENV):
        return Path(environ[STATE_DIR_ENV]).expanduser()
    return home_dir() / "server"


def split_password(uri: str) -> tuple[str, Optional[str]]:
    """``scheme://user:pw@host/db`` -> (``scheme://user@host/db``, ``pw``); URIs without one pass through."""
    parts = urlsplit(uri)
    if parts.password is None:
        return uri, None
    netloc = quote(unquote(parts.username or ""), safe="") + "@" + parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment)), unquote(parts.password)


def _normalise_scheme(uri: str) -> str:
    """``postgresql://`` and ``postgres://`` mean psycopg2 (the driver this project installs)."""
    for plain in ("postgresql://", "postgres://"):
        if uri.startswith(plain):
            return "postgresql+psycopg2://" + uri[len(plain):]
    return uri


def _uri_from_pg_vars(environ: Mapping[str, str]) -> Optional[str]:
    user = environ.get("PGUSER")
    if not user:
        return None
    host = environ.get("PGHOST", "127.0.0.1")
    port = environ.get("PGPORT", "5432")
    db = environ.get("PGDATABASE", user)
    if host.startswith("/"):  # a unix socket directory
        return f"postgresql+psycopg2://{quote(user, safe='')}@/{db}?host={quote(host)}&port={port}"
    return f"postgresql+psycopg2://{quote(user, safe='')}@{host}:{port}/{db}"


def from_env(environ: Optional[Mapping[str, str]] = None, **overrides: object) -> ServerSettings:
    """Settings from ``environ`` (default: the process environment); ``overrides`` win (CLI flags).

    Raises ConfigError when no backend store is configured.
    """
    env = dict(os.environ if environ is None else environ)
    raw = env.get(DB_URI_ENV)
    if raw:
        backend, password = split_password(_normalise_scheme(raw.strip()))
        password = password or env.get("PGPASSWORD")
    else:
        backend = _uri_from_pg_vars(env)  # type: ignore[assignment]
        password = env.get("PGPASSWORD")
    if not backend:
        raise ConfigError(
            f"no backend store for the tracking server: set {DB_URI_ENV}=postgresql+psycopg2://user:pw@host:5432/db "
            "(or libpq's PGHOST/PGPORT/PGUSER/PGPASSWORD/PGDATABASE) in the environment; credentials are never "
            "read from config files or the command line"
        )
    if "://" not in backend or backend.startswith(("file:", "http:", "https:")):
        raise ConfigError(f"{DB_URI_ENV}={redact_uri(backend)!r} is not a database URI; expected "
                          "postgresql+psycopg2://user:pw@host:port/db (or sqlite:///path for a private server)")
    state_dir = Path(overrides.pop("state_dir", None) or default_state_dir(env))  # type: ignore[arg-type]
    artifacts = env.get(ARTIFACTS_ENV) or str(state_dir / "artifacts")
    settings = ServerSettings(
        backend_store_uri=backend,
        artifacts_destination=artifacts,
        state_dir=state_dir,
        db_password=password,
        admin_password=env.get(ADMIN_PASSWORD_ENV) or env.get("MLFLOW_AUTH_ADMIN_PASSWORD") or None,
        admin_user=env.get(ADMIN_USER_ENV) or env.get("MLFLOW_AUTH_ADMIN_USERNAME") or "admin",
    )
    changes = {k: v for k, v in overrides.items() if v is not None}
    return settings.with_(**changes) if changes else settings
