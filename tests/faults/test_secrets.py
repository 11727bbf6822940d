"""Secrets matrix: fake secrets of every shape go in through the command line; none comes out anywhere.

Searched: the SQLite store's full SQL dump (params, tags, metrics, run names), the artifact tree, every
file the run leaves on disk (Hydra's ``.hydra/`` copies, ``multirun.yaml``, job records, the job log)
and the console output.  A masked value still shows where it was (``***``).
"""

from __future__ import annotations

import stat

import pytest

from tests.faults.conftest import COMMON, files_text, store_dump
from tests.conftest import run_cli
from tests.tracking.test_redact import SECRETS

pytestmark = [pytest.mark.faults, pytest.mark.slow]

# (override, secret that must not appear): 9 by value shape under innocent keys, 7 by key name.
BY_SHAPE = [(f"+tags.note_{name}=x{value}" if name != "pem" else None, value) for name, value in SECRETS.items()]
BY_NAME = [
    ("+tags.password=Hunter2Pw", "Hunter2Pw"),
    ("+tags.db_password=Db9Secret", "Db9Secret"),
    ("+tags.api_key=ApiKey77", "ApiKey77"),
    ("+tags.aws_secret_access_key=AwsSecret55", "AwsSecret55"),
    ("+tags.auth_token=AuthTok33", "AuthTok33"),
    ("+tags.client_secret=ClientSec11", "ClientSec11"),
    ("+tags.note_uri=postgresql://bob:UriPw4242@db.example:5432/x", "UriPw4242"),
]
OVERRIDES = [o for o, _ in BY_SHAPE + BY_NAME if o]
CASES = [s for o, s in BY_SHAPE + BY_NAME if o]
PEM_BODY = "MIIEowIBAAKCAQEAx9Lq"


def _leaks(texts: dict, secrets) -> list:
    return [(str(path), s) for path, text in texts.items() for s in secrets if s in text]


def test_no_secret_in_store_artifacts_files_or_console_single_run(toy_steps, tmp_path, sciml_home):
    assert len(CASES) >= 15
    proc = run_cli([*COMMON, *OVERRIDES, f"hydra.run.dir={tmp_path / 'out'}",
                    "benchmark.options.say=ghp_" + "Q" * 36,  # a secret logged by benchmark code
                    f"benchmark.options.fail_with=boom with token {SECRETS['huggingface']}"], cwd=tmp_path)
    console = proc.stdout + proc.stderr
    assert proc.returncode == 1 and "boom" in console, console[-3000:]
    secrets = CASES + ["ghp_" + "Q" * 36]
    assert [s for s in secrets if s in console] == []
    dump = store_dump(sciml_home / "mlflow.db")
    assert "note_github_classic" in dump and "***" in dump  # the tags exist, masked
    assert [s for s in secrets if s in dump] == []
    texts = files_text(sciml_home, tmp_path / "out")
    assert any(p.name == "traceback.txt" for p in texts), sorted(map(str, texts))[:50]
    assert _leaks(texts, secrets) == []
    for name in ("config.yaml", "hydra.yaml", "overrides.yaml"):
        p = tmp_path / "out" / ".hydra" / name
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, name


def test_no_secret_in_sweep_parent_records_multirun_yaml_or_hydra_error_line(toy_steps, tmp_path, sciml_home):
    secret_ovr = ["+tags.password=SweepPw99", f"+tags.note=x{SECRETS['slack']}", f"+tags.jwt={SECRETS['jwt']}"]
    proc = run_cli(["-m", *COMMON, *secret_ovr, "benchmark.training.epochs=0,3", f"hydra.sweep.dir={tmp_path / 'sweep'}",
                    f"+tags.note_aws={SECRETS['aws_key_id']}"], cwd=tmp_path)
    console = proc.stdout + proc.stderr
    assert "Error executing job with overrides" in console, console[-3000:]
    # the job with epochs=0 is a user error: refused before its run exists, message only, no traceback
    assert "benchmark.training.epochs=0 is not allowed" in console and "Traceback" not in console
    secrets = ["SweepPw99", SECRETS["slack"], SECRETS["jwt"], SECRETS["aws_key_id"]]
    assert [s for s in secrets if s in console] == []
    dump = store_dump(sciml_home / "mlflow.db")
    assert "sweep.overrides" in dump and [s for s in secrets if s in dump] == []
    texts = files_text(sciml_home, tmp_path / "sweep")
    assert any(p.name == "multirun.yaml" for p in texts) and any(p.name.startswith("job-") for p in texts)
    assert _leaks(texts, secrets) == []
    for p in texts:
        if p.name == "multirun.yaml" or p.name.startswith("job-") or p.parent.name == ".hydra":
            assert stat.S_IMODE(p.stat().st_mode) == 0o600, p


@pytest.mark.services
def test_no_uri_password_from_a_server_tracking_uri(toy_steps, tmp_path, sciml_home, sqlite_server):
    uri = sqlite_server.url.replace("http://", "http://alice:UriSrvPw7788@")
    proc = run_cli([*COMMON, "tracking=server", f"hydra.run.dir={tmp_path / 'out'}"], cwd=tmp_path,
                   env={"SCIML_TRACKING_URI": uri})
    console = proc.stdout + proc.stderr
    assert proc.returncode == 0, console[-3000:]
    assert "UriSrvPw7788" not in console
    assert "View run" in console and "alice:***@127.0.0.1" in console  # MLflow's own line, masked
    dump = store_dump(sqlite_server.tmp / "server.db")
    assert "toy_steps" in dump and "UriSrvPw7788" not in dump
    assert _leaks(files_text(sciml_home, tmp_path / "out", sqlite_server.tmp / "server-artifacts"), ["UriSrvPw7788"]) == []
