"""Keep secrets out of everything a run records: the one redaction function every writer calls.

Two independent rules, applied together everywhere (params, tags, sweep tags, config artifacts, job
records, Hydra's ``.hydra/`` copies and ``multirun.yaml``, log lines and console output):

- **by key name**: a value under a key that names a secret (``password``, ``token``, ``api_key``,
  ``AWS_SECRET_ACCESS_KEY`` ...) is replaced whole, whatever it looks like; in free text the same holds
  for ``key=value`` / ``key: value`` pairs (command-line overrides, YAML lines, log messages);
- **by value shape**: a token-shaped value is masked under any key, also inside longer text: AWS access
  key ids and secret keys, GitHub (``ghp_``/``gho_``/``ghu_``/``ghs_``/``ghr_``/``github_pat_``), Hugging
  Face (``hf_``), Slack (``xox?-``), JWTs, the password of ``scheme://user:password@host``, and PEM
  private-key blocks.

``redact(value, key)`` is the entry point; ``redact_text`` / ``redact_mapping`` / ``redact_value`` /
``redact_uri`` are the same function seen from a string, a nested mapping or a key/value pair.  A
masked value keeps its place (the shape of a config is evidence), only its content becomes ``***``.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Any, Mapping, Optional
from urllib.parse import urlsplit, urlunsplit

MASK = "***"

#: Key names that hold secrets.  ``auth`` alone, not ``author``; ``token`` not ``tokenizer``/``tokens``.
_SECRET_WORD = (
    r"(?:pass(?:word|wd|phrase)?(?![a-z])|secret|token(?!i[sz]e|s)|api[_-]?key|access[_-]?key|private[_-]?key|"
    r"credentials?|auth(?:orization|[_-]?token)?(?![a-z])|session[_-]?key|signature|cookie|client[_-]?secret)"
)
_SECRET_KEY = re.compile(_SECRET_WORD, re.IGNORECASE)

#: ``key=value`` / ``key: value`` in free text where ``key`` names a secret (overrides, YAML, log lines).
_KEY_VALUE = re.compile(
    r"(?P<key>[\w.+~-]*" + _SECRET_WORD + r"[\w.-]*)(?P<sep>['\"]?[ \t]*[=:][ \t]*)"
    r"(?P<value>'[^'\n]*'|\"[^\"\n]*\"|[^\s,;'\"\]\}\)]+)",
    re.IGNORECASE,
)

_URI_PW = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^:/@\s]*):(?P<pw>[^@\s/]+|[^@\s]+?)@")
_PEM = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\Z)", re.DOTALL)
_TOKEN_SHAPES = [
    # no leading word boundary: a token glued to other text (``note=xghp_…``) is still a token
    re.compile(r"(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}(?![A-Z0-9])"),  # AWS access key id
    re.compile(r"gh[pousr]_[A-Za-z0-9]{30,}"),  # GitHub classic tokens
    re.compile(r"github_pat_[A-Za-z0-9_]{20,}"),  # GitHub fine-grained tokens
    re.compile(r"hf_[A-Za-z0-9]{30,}"),  # Hugging Face
    re.compile(r"xox[abposre]-[A-Za-z0-9-]{10,}"),  # Slack
    re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),  # JWT (header.payload.signature)
    re.compile(r"\bsk-[A-Za-z0-9_-]{32,}\b"),  # OpenAI-style API keys
]
#: AWS secret access keys: 40 base64 characters with upper, lower case and digits (git SHAs are lower hex).
_AWS_SECRET = re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")


def _aws_secret(m: "re.Match[str]") -> str:
    s = m.group(0)
    mixed = any(c.isupper() for c in s) and any(c.islower() for c in s) and any(c.isdigit() for c in s)
    return MASK if mixed and s.count("/") <= 3 and not s.startswith("/") else s


def is_secret_key(key: str) -> bool:
    """True when the last component of a dotted key looks like it names a secret."""
    last = str(key).lstrip("+~").rsplit(".", 1)[-1]
    return bool(_SECRET_KEY.search(last))


def redact_text(text: str) -> str:
    """``text`` with every secret-shaped value and every ``secret_key=value`` pair masked."""
    if not text:
        return text
    text = _PEM.sub(MASK, text)
    text = _URI_PW.sub(lambda m: f"{m.group('scheme')}{m.group('user')}:{MASK}@", text)
    for shape in _TOKEN_SHAPES:
        text = shape.sub(MASK, text)
    text = _AWS_SECRET.sub(_aws_secret, text)
    return _KEY_VALUE.sub(_mask_pair, text)


def _mask_pair(m: "re.Match[str]") -> str:
    value = m.group("value")
    if value in (MASK, f"'{MASK}'", f'"{MASK}"') or value.lower() in ("null", "none", "''", '""'):
        return m.group(0)
    return f"{m.group('key')}{m.group('sep')}{MASK}"


def redact_value(key: str, value: Any) -> Any:
    """``value`` as it may be recorded under ``key``: masked whole under a secret key, else by shape."""
    if is_secret_key(key) and value not in (None, ""):
        return MASK
    if isinstance(value, str):
        return redact_text(value)
    return value


def redact_mapping(data: Any, prefix: str = "") -> Any:
    """A deep copy of nested dicts/lists with secrets masked (keys keep their place: the shape is evidence)."""
    if isinstance(data, Mapping):
        out = {}
        for k, v in data.items():
            key = f"{prefix}.{k}" if prefix else str(k)
            if is_secret_key(str(k)) and v not in (None, "", {}, []):
                out[k] = MASK
            else:
                out[k] = redact_mapping(v, key) if isinstance(v, (Mapping, list, tuple)) else redact_value(key, v)
        return out
    if isinstance(data, (list, tuple)):
        return [redact_mapping(v, prefix) for v in data]
    return redact_value(prefix, data)


def redact(value: Any, key: str = "") -> Any:
    """The one redaction function: mappings/lists deeply, strings by key name and shape, others as they are."""
    if isinstance(value, (Mapping, list, tuple)):
        return redact_mapping(value, key)
    return redact_value(key, value)


def redact_override(override: str) -> str:
    """A Hydra command-line override (``+tags.password=x``) as it may be shown or recorded."""
    key, sep, value = str(override).partition("=")
    return f"{key}{sep}{redact_value(key, value)}" if sep else redact_text(str(override))


def redact_uri(value: str) -> str:
    """Mask the password of ``scheme://user:password@host`` and every other secret-shaped part of ``value``."""
    return redact_text(value)


def strip_uri_credentials(uri: str) -> str:
    """``scheme://user:pw@host/path`` -> ``scheme://host/path`` for display."""
    parts = urlsplit(uri)
    if parts.username or parts.password:
        host = parts.hostname or ""
        if parts.port:
            host += f":{parts.port}"
        return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
    return uri


# -- files and streams that other programs write -----------------------------------------------------

def redact_file(path: Path, private: bool = True) -> bool:
    """Rewrite ``path`` redacted (YAML/JSON parsed and masked by key, anything else as text), mode 0600.

    Used on files Hydra writes itself (``.hydra/*.yaml``, ``multirun.yaml``).  Returns True when the
    content changed.  Never raises: a file we cannot rewrite is reported and left alone.
    """
    path = Path(path)
    try:
        text = path.read_text()
        new = _redact_document(path, text)
        if new != text:
            tmp = path.with_name(f".{path.name}.redacted")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(new)
            os.replace(tmp, path)
        if private:
            os.chmod(path, 0o600)
        return new != text
    except OSError as exc:
        logging.getLogger(__name__).error("could not redact %s: %s", path, exc)
        return False


def _redact_document(path: Path, text: str) -> str:
    if path.suffix in (".yaml", ".yml"):
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError:
            return redact_text(text)
        cleaned = redact(data)
        if cleaned == data:
            return text
        return yaml.safe_dump(cleaned, sort_keys=False, width=10**9)
    if path.suffix == ".json":
        import json

        try:
            data = json.loads(text)
        except ValueError:
            return redact_text(text)
        cleaned = redact(data)
        return text if cleaned == data else json.dumps(cleaned, default=str)
    return redact_text(text)


class RedactingFilter(logging.Filter):
    """A handler filter that masks secrets in the formatted message (and traceback) of every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: let the handler report it as usual
            return True
        clean = redact_text(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text)
        return True


_FILTER = RedactingFilter()


def install_log_redaction(*loggers: Optional[str]) -> None:
    """Put the redacting filter on every handler of the root logger and of ``loggers`` (idempotent)."""
    for name in (None, "mlflow", "sciml_mlflow", "hydra", *loggers):
        for handler in logging.getLogger(name).handlers:
            if _FILTER not in handler.filters:
                handler.addFilter(_FILTER)


class RedactingStream:
    """A text stream wrapper whose ``write`` masks secrets (console output of code we do not own).

    MLflow prints "View run … at http://user:PASSWORD@host/…" and Hydra writes "Error executing job with
    overrides: [...]" straight to the console; wrapping ``sys.stdout``/``sys.stderr`` once in the CLI's
    entry catches both.  Everything else is delegated to the wrapped stream.
    """

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(redact_text(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def redact_console() -> None:
    """Wrap ``sys.stdout`` and ``sys.stderr`` in a RedactingStream (idempotent)."""
    import sys

    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is not None and not isinstance(stream, RedactingStream):
            setattr(sys, name, RedactingStream(stream))
