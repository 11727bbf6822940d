"""What a SciMLBench entry point reads: ``params_in`` (SciMLBench's ``RuntimeIn``) and its bench args.

SciMLBench hands every benchmark-specific argument over as a string (``-b key value`` on its command
line) and types it on request (``bench_args.try_get("epochs", 10)``).  Bench args here come from
``benchmark.bench_args`` (card defaults, ``benchmark.bench_args.<key>=<value>`` on the command line); Hydra
has already parsed them, so they are turned back into the strings SciMLBench would have passed.  Code
written for SciMLBench (``int(bench_args["n"])``, ``bench_args["flag"] == "true"``, ``try_get``) then runs
unchanged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, TypeVar

T = TypeVar("T")
_TRUE = ("true", "t", "yes", "y", "1")
_FALSE = ("false", "f", "no", "n", "0")


def as_cli_string(value: Any) -> str:
    """The text a user would have typed for ``value`` (``true``, ``0.001``, ``[1, 2]``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value)
    return str(value)


class BenchArgs(dict):
    """SciMLBench's ``SafeDict``: a dict of string values with typed, defaulted look-ups."""

    def try_get(self, key: str, default: T) -> T:
        """``self[key]`` cast to ``type(default)``; ``default`` when absent.  A value that does not cast is a
        ValueError naming key, value and type (as SciMLBench does), never a silent default."""
        if key not in self:
            return default
        raw = self[key]
        text = raw if isinstance(raw, str) else as_cli_string(raw)
        if isinstance(default, bool):
            if text.strip().lower() in _TRUE:
                return True  # type: ignore[return-value]
            if text.strip().lower() in _FALSE:
                return False  # type: ignore[return-value]
            raise ValueError(_cast_error(key, raw, default, f"one of {', '.join(_TRUE + _FALSE)}"))
        try:
            return type(default)(text)  # type: ignore[call-arg]
        except (TypeError, ValueError) as exc:
            raise ValueError(_cast_error(key, raw, default, str(exc))) from exc

    def try_get_dict(self, default_args: Mapping[str, Any]) -> Dict[str, Any]:
        """Every key of ``default_args`` looked up with ``try_get`` (keys not in ``default_args`` are ignored)."""
        return {key: self.try_get(key, default) for key, default in default_args.items()}


def _cast_error(key: str, value: Any, default: Any, why: str) -> str:
    return (f"bench arg {key!r}={value!r} cannot be read as {type(default).__name__} ({why}); "
            f"set it as benchmark.bench_args.{key}=<{type(default).__name__}>")


def bench_args_from(mapping: Optional[Mapping[str, Any]]) -> BenchArgs:
    """BenchArgs holding ``mapping``'s values as the strings SciMLBench's command line would have given."""
    return BenchArgs({str(k): as_cli_string(v) for k, v in (mapping or {}).items()})


@dataclass
class ParamsIn:
    """SciMLBench's ``RuntimeIn``: the fields its benchmarks read.

    ``execution_mode`` is ``training`` or ``inference`` (SciMLBench's words); ``model`` is the trained
    model file (inference) or None; ``valid``/``error_msg`` exist because SciMLBench's object has them (a
    run that reaches the benchmark is always valid here: bad input is refused before the run starts).
    """

    dataset_dir: Path
    output_dir: Path
    bench_args: BenchArgs
    execution_mode: str
    model: Optional[Path] = None
    start_time: str = ""
    valid: bool = True
    error_msg: Optional[str] = None

    def __post_init__(self) -> None:
        if not self.start_time:
            self.start_time = datetime.now(timezone.utc).replace(tzinfo=None).isoformat() + "Z"


EXECUTION_MODES = {"train": "training", "inference": "inference"}

__all__ = ["BenchArgs", "ParamsIn", "bench_args_from", "as_cli_string", "EXECUTION_MODES"]
