"""Evaluating a rule table's hyperparameter constraints against one run's values.

The same code serves the pre-run check (values from the composed config) and the post-hoc checker
(values parsed back from MLflow params, which are strings), so both agree by construction.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from typing import Any, Dict, List, Mapping, Optional

from sciml_mlflow.errors import ExpressionError
from sciml_mlflow.rules import expression
from sciml_mlflow.rules.table import ConstraintSpec, RuleTable, constraint_kind

KINDS = ("fixed", "range", "one_of", "expr", "unconstrained")


@dataclass(frozen=True)
class Check:
    """One check and its outcome; ``ok=None`` means deferred (cannot be decided yet, e.g. before staging)."""

    check: str  # hyperparameter | dataset | hardware | target | seeds | runs | convergence | ...
    key: str
    value: str
    constraint: str
    ok: Optional[bool]
    message: str = ""

    def as_dict(self) -> Dict[str, Any]:
        return asdict(self)


def describe(spec: ConstraintSpec) -> str:
    kind = constraint_kind("?", spec)
    if kind == "fixed":
        return f"== {spec.fixed!r}"
    if kind == "range":
        lo = "-inf" if spec.min is None else repr(spec.min)
        hi = "inf" if spec.max is None else repr(spec.max)
        return f"in [{lo}, {hi}]"
    if kind == "one_of":
        return f"one of {list(spec.one_of or [])!r}"
    if kind == "expr":
        return str(spec.expr)
    return "unconstrained"


def _same(a: Any, b: Any) -> bool:
    """Equality that does not let True == 1 or 0.001 != 1e-3 (float noise) fool a rule."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=0.0)
    return a == b


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def evaluate_one(key: str, spec: ConstraintSpec, values: Mapping[str, Any]) -> Check:
    """Check ``values[key]`` against ``spec``; expressions see every key in ``values`` plus ``value``."""
    text = describe(spec)
    if key not in values:
        return Check("hyperparameter", key, "<missing>", text, False,
                     "the key is not in the run's config; the table names a key the benchmark does not have")
    value = values[key]
    shown = repr(value)
    kind = constraint_kind(key, spec)
    if kind == "unconstrained":
        return Check("hyperparameter", key, shown, text, True)
    if kind == "fixed":
        ok = _same(value, spec.fixed)
        return Check("hyperparameter", key, shown, text, ok, "" if ok else "must equal the reference value")
    if kind == "one_of":
        ok = any(_same(value, v) for v in spec.one_of or [])
        return Check("hyperparameter", key, shown, text, ok, "" if ok else "not in the allowed set")
    if kind == "range":
        if not _number(value):
            return Check("hyperparameter", key, shown, text, False, "not a number")
        ok = (spec.min is None or value >= spec.min) and (spec.max is None or value <= spec.max)
        return Check("hyperparameter", key, shown, text, ok, "" if ok else "out of range")
    variables = {k: v for k, v in values.items() if _number(v) or isinstance(v, bool)}
    variables["value"] = value
    try:
        ok = bool(expression.evaluate(str(spec.expr), variables))
    except ExpressionError as exc:
        return Check("hyperparameter", key, shown, text, False, str(exc))
    return Check("hyperparameter", key, shown, text, ok, "" if ok else "expression is false")


def check_hyperparameters(table: RuleTable, values: Mapping[str, Any]) -> List[Check]:
    return [evaluate_one(k, spec, values) for k, spec in table.hyperparameters.items()]


def parse_param(text: str) -> Any:
    """An MLflow param (always a string) back to the value the config had (see tracking.params)."""
    if text in ("True", "False"):
        return text == "True"
    if text == "None":
        return None
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    if text[:1] in "[{":
        try:
            return json.loads(text)
        except ValueError:
            pass
    return text


__all__ = ["Check", "KINDS", "constraint_kind", "describe", "evaluate_one", "check_hyperparameters", "parse_param"]
