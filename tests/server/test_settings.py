"""Server settings from the environment: secrets split off, never on the command line, cheap defaults."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from sciml_mlflow.errors import ConfigError
from sciml_mlflow.server import auth, process
from sciml_mlflow.server.settings import from_env, split_password

PW = "s3cr%t:p@ss/word"
PW_QUOTED = "s3cr%25t%3Ap%40ss%2Fword"


def test_password_leaves_the_uri_and_the_command_line(tmp_path: Path) -> None:
    env = {"SCIML_DB_URI": f"postgresql://alice:{PW_QUOTED}@db.example:5433/mlflow",
           "SCIML_ARTIFACTS_DESTINATION": "s3://bucket/runs"}
    s = from_env(env, state_dir=tmp_path)
    assert s.backend_store_uri == "postgresql+psycopg2://alice@db.example:5433/mlflow"
    assert s.db_password == PW and PW not in repr(s)
    cmd = process.command(s)
    assert not any(PW in a or PW_QUOTED in a for a in cmd)
    assert cmd[cmd.index("--workers") + 1] == "1" and "--serve-artifacts" in cmd
    assert cmd[cmd.index("--host") + 1] == "127.0.0.1"
    assert cmd[cmd.index("--artifacts-destination") + 1] == "s3://bucket/runs"
    senv = process.server_env(s, base={**env, "AWS_ACCESS_KEY_ID": "k"})
    assert senv["PGPASSWORD"] == PW and "SCIML_DB_URI" not in senv
    assert senv["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] == "false" and senv["AWS_ACCESS_KEY_ID"] == "k"


def test_libpq_variables_build_the_uri(tmp_path: Path) -> None:
    s = from_env({"PGUSER": "bob", "PGHOST": "10.0.0.5", "PGPASSWORD": "pw", "PGDATABASE": "track"},
                 state_dir=tmp_path)
    assert s.backend_store_uri == "postgresql+psycopg2://bob@10.0.0.5:5432/track" and s.db_password == "pw"
    assert s.artifacts_destination == str(tmp_path / "artifacts")  # local fallback without S3


def test_no_database_is_a_config_error_naming_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SCIML_DB_URI"):
        from_env({}, state_dir=tmp_path)
    with pytest.raises(ConfigError, match="not a database URI"):
        from_env({"SCIML_DB_URI": "http://x"}, state_dir=tmp_path)


def test_split_password_passes_uris_without_one() -> None:
    assert split_password("sqlite:////tmp/a.db") == ("sqlite:////tmp/a.db", None)


def _mlflow_auth_config_reader():
    """mlflow/server/auth/config.py loaded alone: its package __init__ builds the whole server app (seconds)."""
    import importlib.util

    path = Path(importlib.util.find_spec("mlflow").origin).parent / "server" / "auth" / "config.py"
    spec = importlib.util.spec_from_file_location("_mlflow_auth_config", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_auth_ini_is_private_and_password_free_env(tmp_path: Path) -> None:
    s = from_env({"SCIML_DB_URI": "sqlite:////tmp/x.db", "SCIML_SERVER_ADMIN_PASSWORD": "a-long-pass%word"},
                 state_dir=tmp_path, auth=True)
    env = {"SCIML_SERVER_ADMIN_PASSWORD": "a-long-pass%word", "MLFLOW_AUTH_ADMIN_PASSWORD": "other"}
    ini = auth.prepare(s, env)
    assert stat.S_IMODE(os.stat(ini).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(ini.parent).st_mode) == 0o700
    assert "SCIML_SERVER_ADMIN_PASSWORD" not in env and "MLFLOW_AUTH_ADMIN_PASSWORD" not in env
    assert env["MLFLOW_AUTH_CONFIG_PATH"] == str(ini) and len(env["MLFLOW_FLASK_SERVER_SECRET_KEY"]) == 64
    os.environ["MLFLOW_AUTH_CONFIG_PATH"] = str(ini)
    try:
        cfg = _mlflow_auth_config_reader().read_auth_config()  # what MLflow itself will read
    finally:
        del os.environ["MLFLOW_AUTH_CONFIG_PATH"]
    assert cfg.admin_password == "a-long-pass%word" and cfg.admin_username == "admin"
    assert "--app-name" in process.command(s)


def test_auth_refuses_a_missing_or_short_password(tmp_path: Path) -> None:
    s = from_env({"SCIML_DB_URI": "sqlite:////tmp/x.db"}, state_dir=tmp_path, auth=True)
    with pytest.raises(ConfigError, match="SCIML_SERVER_ADMIN_PASSWORD"):
        auth.prepare(s, {})
    with pytest.raises(ConfigError, match="shorter than 12"):
        auth.prepare(s.with_(admin_password="short"), {})
