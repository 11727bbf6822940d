"""The one redaction function: by key name and by value shape, in values, mappings, text, files and logs."""

from __future__ import annotations

import io
import json
import logging
import stat

import pytest
import yaml

from sciml_mlflow.tracking.redact import (
    MASK,
    RedactingFilter,
    RedactingStream,
    redact,
    redact_file,
    redact_override,
    redact_text,
)

# Fake secrets, one per shape the issue names (none of them is valid anywhere).
SECRETS = {
    "aws_key_id": "AKIAIOSFODNN7EXAMPLE",
    "aws_secret": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "github_classic": "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
    "github_oauth": "gho_" + "Z9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4J3i2",
    "github_pat": "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789ABCD",
    "huggingface": "hf_" + "AbCdEfGhIjKlMnOpQrStUvWxYz01234567",
    "slack": "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
    "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    "pem": "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx9Lq\nabcDEF123\n-----END RSA PRIVATE KEY-----",
}
URI_PASSWORD = "s3cr3tPassw0rd"


@pytest.mark.parametrize("name", sorted(SECRETS))
def test_token_shapes_are_masked_under_an_innocent_key(name):
    value = SECRETS[name]
    out = redact({"tags": {"note": f"see {value} here"}})
    assert value not in json.dumps(out)
    assert out["tags"]["note"].startswith("see ") and MASK in out["tags"]["note"]


@pytest.mark.parametrize("key", ["password", "db_password", "MLFLOW_TRACKING_PASSWORD", "api_key", "apiKey",
                                 "AWS_SECRET_ACCESS_KEY", "auth_token", "client_secret", "Authorization"])
def test_secret_key_names_mask_any_value(key):
    assert redact({key: "plain-looking"})[key] == MASK
    assert redact_override(f"+tags.{key}=plain-looking") == f"+tags.{key}={MASK}"


@pytest.mark.parametrize("key", ["author", "tokens_per_s", "tokenizer", "passes", "batch_size"])
def test_innocent_keys_are_kept(key):
    assert redact({key: "value-1"})[key] == "value-1"


def test_uri_passwords_keep_user_and_host():
    assert redact_text(f"postgresql://bob:{URI_PASSWORD}@db:5432/x") == f"postgresql://bob:{MASK}@db:5432/x"
    assert URI_PASSWORD not in redact_text(f"View run x at: http://admin:{URI_PASSWORD}@127.0.0.1:5000/#/r/1")


def test_git_shas_digests_and_paths_are_not_mistaken_for_keys():
    sha = "0123456789abcdef0123456789abcdef01234567"
    path = "/tmp/pytest-of-root/pytest-12/test_x0/home/artifacts/dms_structure"
    assert redact_text(sha) == sha and redact_text(path) == path
    assert redact({"dataset.digest": "d41d8cd98f00b204e9800998ecf8427e"})["dataset.digest"] == "d41d8cd98f00b204e9800998ecf8427e"


def test_free_text_pairs_in_hydra_error_line():
    line = "Error executing job with overrides: ['seed=1', '+tags.password=hunter2', 'lr=0.1']"
    out = redact_text(line)
    assert "hunter2" not in out and "'seed=1'" in out and "lr=0.1" in out


def test_hydra_files_are_rewritten_redacted_and_private(tmp_path):
    cfg = tmp_path / "config.yaml"
    cfg.write_text(yaml.safe_dump({"seed": 1, "tags": {"password": "hunter2", "note": SECRETS["github_classic"]}}))
    ovr = tmp_path / "overrides.yaml"
    ovr.write_text(yaml.safe_dump(["seed=1", "+tags.password=hunter2"]))
    rec = tmp_path / "job-0.json"
    rec.write_text(json.dumps({"overrides": "+tags.api_key=abc seed=1"}))
    for p in (cfg, ovr, rec):
        assert redact_file(p) is True
        text = p.read_text()
        assert "hunter2" not in text and SECRETS["github_classic"] not in text and "abc" not in text.replace("abcd", "")
        assert stat.S_IMODE(p.stat().st_mode) == 0o600
    assert yaml.safe_load(cfg.read_text())["seed"] == 1


def test_log_filter_and_console_stream():
    buf = io.StringIO()
    handler = logging.StreamHandler(buf)
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("test_redact_filter")
    logger.addHandler(handler)
    try:
        logger.error("token is %s and url %s", SECRETS["huggingface"], f"http://u:{URI_PASSWORD}@h/x")
    finally:
        logger.removeHandler(handler)
    assert SECRETS["huggingface"] not in buf.getvalue() and URI_PASSWORD not in buf.getvalue()
    out = io.StringIO()
    RedactingStream(out).write(f"🏃 View run r at: http://admin:{URI_PASSWORD}@127.0.0.1:5000/#/x\n")
    assert URI_PASSWORD not in out.getvalue() and "127.0.0.1:5000" in out.getvalue()
