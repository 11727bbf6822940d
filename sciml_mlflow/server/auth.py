"""MLflow's basic-auth app, prepared without exposing its secrets.

MLflow reads its auth settings from an ini file (``MLFLOW_AUTH_CONFIG_PATH``) and needs a static
Flask secret key (``MLFLOW_FLASK_SERVER_SECRET_KEY``) shared by all workers.  Here

* the ini is written to a private file (0600, in a 0700 folder) that holds the admin password only
  for the first start (MLflow creates the admin user from it and ignores it afterwards) and is deleted
  when the server stops;
* the secret key is generated once and kept in a 0600 file so restarts keep browser sessions valid;
* nothing secret is put on a command line (``ps`` shows those to every user of the machine).
"""

from __future__ import annotations

import logging
import os
import secrets
import tempfile
from pathlib import Path
from typing import Dict

from sciml_mlflow.errors import ConfigError
from sciml_mlflow.server.settings import ADMIN_PASSWORD_ENV, ServerSettings

log = logging.getLogger(__name__)

_MIN_PASSWORD = 12  # MLflow's own password policy refuses shorter admin passwords
_AUTH_CACHE_TTL_S = 60


def private_dir(path: Path) -> Path:
    """``path`` created with mode 0700 (tightened if it already exists)."""
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


def write_private(folder: Path, prefix: str, text: str) -> Path:
    """A new 0600 file in ``folder`` holding ``text`` (mkstemp creates it 0600 before anything is written)."""
    fd, name = tempfile.mkstemp(prefix=prefix, suffix=".ini", dir=folder)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    return Path(name)


def _secret_key(folder: Path) -> str:
    key_file = folder / "flask_secret_key"
    if key_file.is_file():
        return key_file.read_text().strip()
    key = secrets.token_hex(32)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def prepare(settings: ServerSettings, env: Dict[str, str]) -> Path:
    """Write the auth ini, put what MLflow needs into the server's ``env``; returns the ini path.

    ``env`` is modified in place: password variables are removed from it (the ini carries the password),
    ``MLFLOW_AUTH_CONFIG_PATH`` and the Flask secret key are set.
    """
    folder = private_dir(settings.state_dir / "auth")
    auth_db = folder / "basic_auth.db"
    password = settings.admin_password
    if not auth_db.exists():  # first start: MLflow must create the admin user
        if not password:
            raise ConfigError(f"--auth needs the admin password for the first start: set {ADMIN_PASSWORD_ENV} "
                              "in the environment (at least 12 characters); it is never read from the command line")
        if len(password) < _MIN_PASSWORD:
            raise ConfigError(f"{ADMIN_PASSWORD_ENV} is shorter than {_MIN_PASSWORD} characters; MLflow refuses "
                              "such admin passwords — choose a longer one")
    lines = [
        "[mlflow]",
        "default_permission = READ",
        f"database_uri = sqlite:///{auth_db}",
        f"admin_username = {settings.admin_user}",
        "authorization_function = mlflow.server.auth:authenticate_request_basic_auth",
        # Without this cache every request re-runs a PBKDF2 password hash (MLflow measures ~3x less
        # throughput).  Its known drawback — other workers keep a changed password valid until the TTL
        # ends — does not arise with the single worker this server runs (settings.workers).
        f"auth_cache_ttl_seconds = {_AUTH_CACHE_TTL_S}",
    ]
    if password:
        if "\n" in password or "\r" in password or password != password.strip():
            raise ConfigError(f"{ADMIN_PASSWORD_ENV} must be one line without leading or trailing spaces")
        lines.append("admin_password = " + password.replace("%", "%%"))  # configparser interpolates '%'

    ini = write_private(folder, "basic_auth-", "\n".join(lines) + "\n")
    for name in (ADMIN_PASSWORD_ENV, "MLFLOW_AUTH_ADMIN_PASSWORD", "MLFLOW_AUTH_ADMIN_USERNAME"):
        env.pop(name, None)
    env["MLFLOW_AUTH_CONFIG_PATH"] = str(ini)
    env.setdefault("MLFLOW_FLASK_SERVER_SECRET_KEY", _secret_key(folder))
    log.info("basic auth on: admin user %r, users' store %s", settings.admin_user, auth_db)
    return ini
