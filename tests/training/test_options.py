"""Typed benchmark options: unknown keys and wrong types are refused with the key named."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pytest

from sciml_mlflow.errors import ConfigError
from sciml_mlflow.training import option_defaults, option_error, parse_options


@dataclass(frozen=True)
class Opts:
    size: int = 8
    rate: float = 0.5
    flag: bool = True
    mode: Literal["a", "b"] = "a"

    def __post_init__(self) -> None:
        if self.size % 8:
            raise option_error("toy", "size", self.size, "a multiple of 8")


def test_defaults_and_values():
    assert parse_options(Opts, None, "toy") == Opts()
    assert parse_options(Opts, {"size": 16, "rate": 1, "mode": "b"}, "toy") == Opts(16, 1.0, True, "b")
    assert option_defaults(Opts) == {"size": 8, "rate": 0.5, "flag": True, "mode": "a"}


@pytest.mark.parametrize("values,match", [
    ({"sise": 8}, r"unknown option\(s\) sise in conf/benchmark/toy.yaml.*known: flag, mode, rate, size"),
    ({"flag": "yes"}, r"options.flag='yes'.*expected true or false"),
    ({"size": True}, r"options.size=True.*expected an integer"),
    ({"rate": "fast"}, r"options.rate='fast'.*expected a number"),
    ({"mode": "c"}, r"options.mode='c'.*expected one of 'a', 'b'"),
    ({"size": 12}, r"options.size=12.*a multiple of 8"),
])
def test_bad_options_name_the_key_and_what_was_expected(values, match):
    with pytest.raises(ConfigError, match=match) as info:
        parse_options(Opts, values, "toy")
    assert isinstance(info.value, ValueError)
