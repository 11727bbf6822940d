"""``from sciml_bench.core.runtime import RuntimeIn, RuntimeOut`` without SciMLBench installed.

SciMLBench benchmarks import their runtime types at the top of the file (mostly for annotations).  To run
them unmodified when the ``sciml_bench`` package is absent, ``install()`` registers a small stand-in
package whose names are this package's classes:

- ``sciml_bench.core.runtime``: ``RuntimeIn`` (ParamsIn), ``RuntimeOut`` (ParamsOut)
- ``sciml_bench.core.utils``: ``SafeDict`` (BenchArgs), ``MultiLevelLogger`` (ProcLogger)
- ``sciml_bench.core.system``: ``SystemMonitor`` (Monitor)
- ``sciml_bench.core.config`` / ``sciml_bench.core.program``: ``ProgramEnv`` (imported by some benchmarks for
  annotations only; SciMLBench's command-line environment has no role here, so making one is an error)

When the real SciMLBench is installed nothing is registered: its classes are then only annotations, and
the objects passed in are still this package's.  Imports of SciMLBench's own benchmark modules
(``sciml_bench.benchmarks.*``) are not provided: a benchmark's sibling files are imported relatively.
"""

from __future__ import annotations

import importlib.util
import sys
import types
from typing import Dict

from sciml_mlflow.scimlbench.logger import ProcLogger
from sciml_mlflow.scimlbench.params_in import BenchArgs, ParamsIn
from sciml_mlflow.scimlbench.params_out import Monitor, ParamsOut

SHIM_MARK = "__sciml_mlflow_shim__"
_LEAVES = ("runtime", "utils", "system", "config", "program")


class ProgramEnv:
    """SciMLBench's program environment (its CLI config); importable, not constructible, under sciml_mlflow."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        from sciml_mlflow.errors import BenchmarkContractError

        raise BenchmarkContractError(
            "sciml_bench ProgramEnv is SciMLBench's command-line environment; under sciml_mlflow the benchmark "
            "gets params_in/params_out from the run and its configuration from Hydra (docs/scimlbench.md)")


def _module(name: str, doc: str, **names: object) -> types.ModuleType:
    module = types.ModuleType(name, doc)
    setattr(module, SHIM_MARK, True)
    for key, value in names.items():
        setattr(module, key, value)
    return module


def _modules() -> Dict[str, types.ModuleType]:
    core = "sciml_bench.core"
    mods = {
        "sciml_bench": _module("sciml_bench", "Stand-in for SciMLBench, provided by sciml_mlflow.scimlbench.shim.",
                               __version__="sciml_mlflow-shim"),
        core: _module(core, "Stand-in for sciml_bench.core (sciml_mlflow.scimlbench)."),
        f"{core}.runtime": _module(f"{core}.runtime", "RuntimeIn / RuntimeOut (sciml_mlflow.scimlbench).",
                                   RuntimeIn=ParamsIn, RuntimeOut=ParamsOut),
        f"{core}.utils": _module(f"{core}.utils", "SafeDict / MultiLevelLogger (sciml_mlflow.scimlbench).",
                                 SafeDict=BenchArgs, MultiLevelLogger=ProcLogger),
        f"{core}.system": _module(f"{core}.system", "SystemMonitor (sciml_mlflow.scimlbench).",
                                  SystemMonitor=Monitor),
        f"{core}.config": _module(f"{core}.config", "ProgramEnv (sciml_mlflow.scimlbench).", ProgramEnv=ProgramEnv),
        f"{core}.program": _module(f"{core}.program", "ProgramEnv (sciml_mlflow.scimlbench).", ProgramEnv=ProgramEnv),
    }
    mods["sciml_bench"].__path__ = []  # type: ignore[attr-defined]
    mods[core].__path__ = []  # type: ignore[attr-defined]
    mods["sciml_bench"].core = mods[core]  # type: ignore[attr-defined]
    for leaf in _LEAVES:
        setattr(mods[core], leaf, mods[f"{core}.{leaf}"])
    return mods


def installed() -> bool:
    """True when ``sciml_bench`` resolves to the stand-in."""
    return bool(getattr(sys.modules.get("sciml_bench"), SHIM_MARK, False))


def install() -> bool:
    """Register the stand-in unless a real ``sciml_bench`` is importable; True when the stand-in is in use."""
    if "sciml_bench" in sys.modules:
        return installed()
    if importlib.util.find_spec("sciml_bench") is not None:
        return False
    sys.modules.update(_modules())
    return True


__all__ = ["install", "installed"]
