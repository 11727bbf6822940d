"""Typed benchmark options: a dataclass per benchmark instead of a hand-validated ``options`` dict.

A benchmark declares ``@dataclass(frozen=True) class Options`` with typed defaults (and range checks in
``__post_init__`` via :func:`option_error`); ``parse_options(Options, ctx)`` refuses unknown keys and
values of the wrong type with an error naming the key, the card it came from and what was expected.
"""

from __future__ import annotations

import dataclasses
import typing
from typing import Any, Mapping, Optional, Type, TypeVar

from sciml_mlflow.errors import OptionError

T = TypeVar("T")


def option_error(benchmark: str, key: str, value: Any, expected: str) -> OptionError:
    """The one message shape for a bad option value."""
    return OptionError(f"{benchmark}: options.{key}={value!r} in conf/benchmark/{benchmark}.yaml (or an override) "
                       f"is invalid; expected {expected}")


def _check_type(benchmark: str, key: str, value: Any, hint: Any) -> Any:
    origin = typing.get_origin(hint)
    if origin is typing.Literal:
        allowed = typing.get_args(hint)
        if value not in allowed:
            raise option_error(benchmark, key, value, "one of " + ", ".join(repr(a) for a in allowed))
        return value
    if hint is bool:
        if not isinstance(value, bool):
            raise option_error(benchmark, key, value, "true or false")
    elif hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise option_error(benchmark, key, value, "an integer")
    elif hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise option_error(benchmark, key, value, "a number")
        return float(value)
    elif hint is str and not isinstance(value, str):
        raise option_error(benchmark, key, value, "a string")
    return value


def parse_options(cls: Type[T], values: Optional[Mapping[str, Any]], benchmark: str) -> T:
    """``cls`` built from ``values`` (a card's ``options``); unknown keys and wrong types are refused."""
    values = dict(values or {})
    fields = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(values) - fields)
    if unknown:
        raise OptionError(f"{benchmark}: unknown option(s) {', '.join(unknown)} in conf/benchmark/{benchmark}.yaml "
                          f"(or an override); known: {', '.join(sorted(fields))}. Fix the spelling or remove them")
    hints = typing.get_type_hints(cls)
    checked = {k: _check_type(benchmark, k, v, hints[k]) for k, v in values.items()}
    return cls(**checked)


def option_defaults(cls: Type[Any]) -> dict:
    """The defaults of an options dataclass, as the card's ``options`` block would spell them."""
    return dataclasses.asdict(cls())
