"""The composed config as MLflow params: flattened to dotted keys, secrets masked, nothing truncated.

MLflow caps a param value at 6000 characters (and 100 params per batch).  A longer value is not cut:
it is written whole to ``params_long.yaml`` and the param says where to find it.
"""

from __future__ import annotations

import json
from typing import Any, Dict, Mapping, Tuple

from sciml_mlflow.tracking.redact import redact_value


def flatten(data: Mapping[str, Any], prefix: str = "") -> Dict[str, Any]:
    """``{"a": {"b": 1}}`` -> ``{"a.b": 1}``; lists stay values (JSON-encoded later)."""
    out: Dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping) and value:
            out.update(flatten(value, name))
        else:
            out[name] = value
    return out


def _to_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None or isinstance(value, (bool, int, float)):
        return str(value)
    return json.dumps(value, default=str, sort_keys=True)


def to_params(config: Mapping[str, Any], max_length: int = 6000) -> Tuple[Dict[str, str], Dict[str, str]]:
    """(params for MLflow, long values for the artifact); both redacted."""
    params: Dict[str, str] = {}
    long_values: Dict[str, str] = {}
    for key, value in flatten(config).items():
        text = _to_text(redact_value(key, value))
        if len(text) > max_length:
            long_values[key] = text
            params[key] = f"<{len(text)} chars: see artifact params_long.yaml>"
        else:
            params[key] = text
    return params, long_values
