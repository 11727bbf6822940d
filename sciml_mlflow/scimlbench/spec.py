"""Discovery of SciMLBench benchmark folders, and their entry points as ``train(ctx)`` / ``inference(ctx)``.

A folder ``<root>/<name>/`` is a SciMLBench benchmark when ``<name>.py`` defines, at top level,
``sciml_bench_training`` and/or ``sciml_bench_inference`` (or the 1.0 API's ``sciml_bench_run``, a
training entry).  Discovery reads the file's syntax tree instead of importing it, so listing benchmarks
never imports tensorflow or torch; the module is imported when an entry point is asked for, before a
run exists, as for native benchmarks.
"""

from __future__ import annotations

import ast
import functools
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Tuple

from sciml_mlflow.core.registry import MODES, BenchmarkSpec
from sciml_mlflow.errors import ModeNotDefinedError

log = logging.getLogger(__name__)

# mode -> the SciMLBench functions that serve it, preferred first (sciml_bench_run: SciMLBench 1.0)
ENTRY_FUNCTIONS: Dict[str, Tuple[str, ...]] = {
    "train": ("sciml_bench_training", "sciml_bench_run"),
    "inference": ("sciml_bench_inference",),
}


def top_level_functions(file: Path) -> List[str]:
    """Names of the functions ``file`` defines at top level; empty when it does not parse."""
    try:
        tree = ast.parse(file.read_text(encoding="utf-8", errors="replace"), filename=str(file))
    except (OSError, SyntaxError, ValueError) as exc:
        log.debug("%s: not read as a SciMLBench module (%s)", file, exc)
        return []
    return [n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]


def is_scimlbench_folder(folder: Path) -> bool:
    """``folder/<folder name>.py`` defines at least one SciMLBench entry function."""
    main = folder / f"{folder.name}.py"
    if not main.is_file():
        return False
    names = set(top_level_functions(main))
    return any(fn in names for fns in ENTRY_FUNCTIONS.values() for fn in fns)


@dataclass(frozen=True)
class SciMLBenchSpec(BenchmarkSpec):
    """A discovered SciMLBench folder; ``entry_point(mode)`` returns an adapter taking a RunContext."""

    card_required = False  # a Hydra node is registered for it when no card exists (scimlbench.cards)

    @property
    def main_file(self) -> Path:
        return self.path / f"{self.name}.py"

    def _function_for(self, mode: str, names: List[str]) -> str | None:
        return next((fn for fn in ENTRY_FUNCTIONS[mode] if fn in names), None)

    def defined_modes(self) -> List[str]:
        names = top_level_functions(self.main_file)
        return [m for m in MODES if self._function_for(m, names)]

    def entry_point(self, mode: str) -> Callable[..., object]:
        """The adapter for ``mode``; a clear error naming benchmark, mode and function when it is missing."""
        if mode not in MODES:
            raise ModeNotDefinedError(
                f"mode {mode!r} is not a benchmark mode; expected one of {', '.join(MODES)} "
                f"(e.g. mode=train or mode=inference)"
            )
        from sciml_mlflow.scimlbench import shim
        from sciml_mlflow.scimlbench.adapter import run_entry

        shim.install()  # `from sciml_bench.core.runtime import ...` works without SciMLBench installed
        module = self.load(self.name)
        fn_name = next((fn for fn in ENTRY_FUNCTIONS[mode] if callable(getattr(module, fn, None))), None)
        if fn_name is None:
            defined = ", ".join(self.defined_modes()) or "none"
            wanted = " or ".join(f"{fn}(params_in, params_out)" for fn in ENTRY_FUNCTIONS[mode])
            raise ModeNotDefinedError(
                f"SciMLBench benchmark {self.name!r} does not define the {mode!r} entry point "
                f"(no function {wanted} in {self.main_file}); modes it defines: {defined}"
            )
        return functools.partial(run_entry, getattr(module, fn_name), mode)


__all__ = ["SciMLBenchSpec", "is_scimlbench_folder", "top_level_functions", "ENTRY_FUNCTIONS"]
