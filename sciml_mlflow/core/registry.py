"""Benchmark discovery by convention: a folder with a ``benchmark.py`` is a benchmark.

``benchmarks/<name>/benchmark.py`` defines ``train(ctx)`` and/or ``inference(ctx)``; its config card is
``conf/benchmark/<name>.yaml``.  Nothing central lists benchmarks, so adding one is adding a folder.
A folder whose ``<name>.py`` defines SciMLBench's ``sciml_bench_training`` / ``sciml_bench_inference``
is a benchmark too, card optional (sciml_mlflow.scimlbench); ``benchmark.py`` wins when both exist.

Benchmark folders are loaded by file path under the private package name ``sciml_mlflow_benchmarks``
(never a top-level ``benchmarks`` package, which collides with other projects), so relative imports
inside a benchmark folder work.
"""

from __future__ import annotations

import importlib.util
import sys
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

from sciml_mlflow.core.resources import benchmark_roots
from sciml_mlflow.errors import BenchmarkContractError, BenchmarkNotFoundError, ModeNotDefinedError

MODES = ("train", "inference")
_NAMESPACE = "sciml_mlflow_benchmarks"
ENTRY_FILE = "benchmark.py"


@dataclass(frozen=True)
class BenchmarkSpec:
    """A discovered benchmark folder."""

    name: str
    path: Path

    @property
    def module_name(self) -> str:
        return f"{_NAMESPACE}.{self.name}"

    def load(self, submodule: str = "benchmark") -> types.ModuleType:
        """Import ``<folder>/<submodule>.py`` (heavy imports such as torch happen here, not at discovery)."""
        _ensure_namespace()
        pkg_name = self.module_name
        if pkg_name not in sys.modules:
            init = self.path / "__init__.py"
            if init.exists():
                spec = importlib.util.spec_from_file_location(
                    pkg_name, init, submodule_search_locations=[str(self.path)]
                )
                assert spec and spec.loader
                pkg = importlib.util.module_from_spec(spec)
                sys.modules[pkg_name] = pkg
                spec.loader.exec_module(pkg)
            else:  # a plain folder: a package object whose __path__ makes relative imports work
                pkg = types.ModuleType(pkg_name)
                pkg.__path__ = [str(self.path)]
                pkg.__package__ = pkg_name
                sys.modules[pkg_name] = pkg
        full = f"{pkg_name}.{submodule}"
        if full in sys.modules:
            return sys.modules[full]
        file = self.path / f"{submodule}.py"
        if not file.is_file():
            raise BenchmarkContractError(
                f"benchmark {self.name!r}: expected {file} to exist; a benchmark folder needs {ENTRY_FILE} "
                "defining train(ctx) and/or inference(ctx)"
            )
        spec = importlib.util.spec_from_file_location(full, file)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[full] = module
        try:
            spec.loader.exec_module(module)
        except Exception:
            del sys.modules[full]
            raise
        return module

    def defined_modes(self) -> List[str]:
        module = self.load()
        return [m for m in MODES if callable(getattr(module, m, None))]

    def entry_point(self, mode: str) -> Callable[..., object]:
        """The callable for ``mode``; a clear error naming benchmark and mode when it is not defined."""
        if mode not in MODES:
            raise ModeNotDefinedError(
                f"mode {mode!r} is not a benchmark mode; expected one of {', '.join(MODES)} "
                f"(e.g. mode=train or mode=inference)"
            )
        fn = getattr(self.load(), mode, None)
        if not callable(fn):
            defined = ", ".join(self.defined_modes()) or "none"
            raise ModeNotDefinedError(
                f"benchmark {self.name!r} does not define the {mode!r} entry point "
                f"(no function {mode}(ctx) in {self.path / ENTRY_FILE}); modes it defines: {defined}"
            )
        return fn


def _ensure_namespace() -> None:
    if _NAMESPACE not in sys.modules:
        ns = types.ModuleType(_NAMESPACE)
        ns.__path__ = []  # a namespace-like package; benchmark packages are registered under it
        sys.modules[_NAMESPACE] = ns


# Other folder layouts that are benchmarks too: (detect(folder) -> bool, spec class).  Core imports none of
# them (it is the ground floor); a layout's package registers itself on import (sciml_mlflow.scimlbench).
_FOLDER_KINDS: List[Tuple[Callable[[Path], bool], type]] = []


def register_folder_kind(detect: Callable[[Path], bool], spec_cls: type) -> None:
    """Let folders for which ``detect`` is true be benchmarks described by ``spec_cls`` (a BenchmarkSpec)."""
    if all(kind != (detect, spec_cls) for kind in _FOLDER_KINDS):
        _FOLDER_KINDS.append((detect, spec_cls))


def discover(roots: Optional[List[Path]] = None) -> Dict[str, BenchmarkSpec]:
    """All benchmarks in ``roots`` (default: resources.benchmark_roots()), first root wins on a name clash.

    A native ``benchmark.py`` wins over any registered folder kind in the same folder.
    """
    found: Dict[str, BenchmarkSpec] = {}
    for root in roots if roots is not None else benchmark_roots():
        if not root.is_dir():
            continue
        for child in sorted(root.iterdir()):
            if child.is_dir() and (child / ENTRY_FILE).is_file() and child.name not in found:
                found[child.name] = BenchmarkSpec(child.name, child)
            elif child.is_dir() and child.name not in found:
                kind = next((cls for detect, cls in _FOLDER_KINDS if detect(child)), None)
                if kind is not None:
                    found[child.name] = kind(child.name, child)
    return found


def get(name: str) -> BenchmarkSpec:
    """The benchmark called ``name``, or an error listing what exists."""
    found = discover()
    if name not in found:
        roots = ", ".join(str(r) for r in benchmark_roots())
        raise BenchmarkNotFoundError(
            f"unknown benchmark {name!r}: no folder {name}/{ENTRY_FILE} (or SciMLBench {name}/{name}.py) under {roots}; "
            f"available: {', '.join(sorted(found)) or 'none'}"
        )
    return found[name]
