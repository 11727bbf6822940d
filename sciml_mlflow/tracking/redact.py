"""Keep secrets out of everything a run records.

The original suite logged the whole environment unmasked.  Here every value that reaches a param, tag,
artifact or log line passes through ``redact_mapping`` / ``redact_uri``: values under secret-looking
keys are replaced, and passwords embedded in URIs (``postgresql://user:pw@host``) are masked.
"""

from __future__ import annotations

import re
from typing import Any, Mapping
from urllib.parse import urlsplit, urlunsplit

MASK = "***"
_SECRET_KEY = re.compile(
    r"(pass(word|wd|phrase)?|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credential|auth|session[_-]?key|signature)",
    re.IGNORECASE,
)
_URI_PW = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^:/@\s]+):(?P<pw>[^@/\s]+)@")
_AWS_KEY = re.compile(r"\b(AKIA|ASIA)[A-Z0-9]{16}\b")


def is_secret_key(key: str) -> bool:
    """True when the last component of a dotted key looks like it names a secret."""
    last = key.rsplit(".", 1)[-1]
    return bool(_SECRET_KEY.search(last))


def redact_uri(value: str) -> str:
    """Mask the password of ``scheme://user:password@host`` and anything that looks like an AWS key id."""
    value = _URI_PW.sub(lambda m: f"{m.group('scheme')}{m.group('user')}:{MASK}@", value)
    return _AWS_KEY.sub(MASK, value)


def redact_value(key: str, value: Any) -> Any:
    if is_secret_key(key) and value not in (None, ""):
        return MASK
    if isinstance(value, str):
        return redact_uri(value)
    return value


def redact_mapping(data: Any, prefix: str = "") -> Any:
    """A deep copy of nested dicts/lists with secrets masked (keys keep their place: the shape is evidence)."""
    if isinstance(data, Mapping):
        out = {}
        for k, v in data.items():
            key = f"{prefix}.{k}" if prefix else str(k)
            out[k] = redact_mapping(v, key) if isinstance(v, (Mapping, list, tuple)) else redact_value(key, v)
        return out
    if isinstance(data, (list, tuple)):
        return [redact_mapping(v, prefix) for v in data]
    return redact_value(prefix, data)


def strip_uri_credentials(uri: str) -> str:
    """``scheme://user:pw@host/path`` -> ``scheme://host/path`` for display."""
    parts = urlsplit(uri)
    if parts.username or parts.password:
        host = parts.hostname or ""
        if parts.port:
            host += f":{parts.port}"
        return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
    return uri
