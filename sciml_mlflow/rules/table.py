"""Per-benchmark rule tables: the typed schema and where they are found.

A table is a YAML file ``conf/ruletables/<benchmark>.yaml`` (or in an extra collection's
``conf/ruletables/``), validated against :class:`RuleTable` (unknown keys fail).  Tables are loaded
from the config tree at check time, not composed into the run config: the checker is the source of
truth, and a command-line override must not be able to relax the rules.  The table's version and a
digest of its text are pinned on every run.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

from omegaconf import MISSING, OmegaConf

from sciml_mlflow.errors import ConfigError
from sciml_mlflow.rules import expression

log = logging.getLogger(__name__)


@dataclass
class ConstraintSpec:
    """One hyperparameter's constraint; exactly one kind is set."""

    fixed: Optional[Any] = None  # the value must equal this (the reference value)
    min: Optional[float] = None  # range: inclusive lower bound (alone or with max)
    max: Optional[float] = None  # range: inclusive upper bound
    one_of: Optional[List[Any]] = None  # allowed set
    expr: Optional[str] = None  # safe expression; `value` is this key, other keys by dotted name
    unconstrained: bool = False  # tunable freely (still recorded)
    note: str = ""  # why, for humans


@dataclass
class DatasetRule:
    """Dataset identity a closed run must use."""

    name: Optional[str] = None  # dataset card name; None: not pinned
    digests: Dict[str, str] = field(default_factory=dict)  # scale -> pinned content digest (tag dataset.digest)
    same_digest: bool = True  # all runs of a result must share one digest (when none is pinned)


@dataclass
class TargetRule:
    """The quality a run must reach (MLPerf: at least one evaluation at or past it)."""

    metric: str = MISSING  # metric name as logged per epoch
    value: float = MISSING  # threshold
    mode: str = "max"  # max | min


@dataclass
class RuleTable:
    """A benchmark's closed-division rules, versioned."""

    benchmark: str = MISSING  # benchmark name (must match the file name)
    version: str = MISSING  # table version, pinned on every run (compliance.table_version)
    reference: str = ""  # where the reference values come from
    hyperparameters: Dict[str, ConstraintSpec] = field(default_factory=dict)  # dotted config key -> constraint
    required_runs: int = 5  # runs needed for one result (olympic scoring)
    seeds: str = "distinct"  # distinct: seeds differ across the runs of a result | any
    dataset: DatasetRule = field(default_factory=DatasetRule)
    target: Optional[TargetRule] = None  # convergence target; None: the benchmark card's target
    require_metrics: List[str] = field(default_factory=list)  # metrics every run must have logged


def constraint_kind(key: str, spec: ConstraintSpec, where: str = "rule table") -> str:
    """The one kind ``spec`` sets; ConfigError when none or several are set."""
    kinds = []
    if spec.fixed is not None:
        kinds.append("fixed")
    if spec.min is not None or spec.max is not None:
        kinds.append("range")
    if spec.one_of is not None:
        kinds.append("one_of")
    if spec.expr is not None:
        kinds.append("expr")
        expression.names(spec.expr)  # syntax and whitelist, early
    if spec.unconstrained:
        kinds.append("unconstrained")
    if len(kinds) != 1:
        raise ConfigError(f"{where}: constraint of {key!r} sets {kinds or 'nothing'}; set exactly one of "
                          f"fixed, min/max, one_of, expr, unconstrained: true")
    return kinds[0]


@dataclass(frozen=True)
class LoadedTable:
    """A validated table with where it came from and a digest of its text."""

    table: RuleTable
    path: Path
    digest: str


def table_dirs(table_dir: Optional[str] = None) -> List[Path]:
    """Folders searched for ``<benchmark>.yaml``: the configured one, else the suite's and collections'."""
    if table_dir:
        return [Path(table_dir).expanduser()]
    from sciml_mlflow.core.resources import config_dir, extra_collections

    return [config_dir() / "ruletables"] + [c / "conf" / "ruletables" for c in extra_collections()]


def find_table(benchmark: str, table_dir: Optional[str] = None) -> Optional[Path]:
    for d in table_dirs(table_dir):
        p = d / f"{benchmark}.yaml"
        if p.is_file():
            return p
    return None


def load_table(benchmark: str, table_dir: Optional[str] = None) -> Optional[LoadedTable]:
    """The validated rule table of ``benchmark``, or None when no folder holds one."""
    path = find_table(benchmark, table_dir)
    if path is None:
        return None
    return load_table_file(path, benchmark)


def load_table_file(path: Path, benchmark: Optional[str] = None) -> LoadedTable:
    text = path.read_text()
    try:
        merged = OmegaConf.merge(OmegaConf.structured(RuleTable), OmegaConf.create(text))
        table: RuleTable = OmegaConf.to_object(merged)  # type: ignore[assignment]
    except Exception as exc:
        raise ConfigError(f"rule table {path} is invalid: {exc}; fix the file (schema: sciml_mlflow.rules.table."
                          f"RuleTable)") from None
    if benchmark is not None and table.benchmark != benchmark:
        raise ConfigError(f"rule table {path} says benchmark={table.benchmark!r} but is filed for {benchmark!r}; "
                          f"rename the file or fix its `benchmark:`")
    for key, spec in table.hyperparameters.items():
        constraint_kind(key, spec, where=str(path))
    if table.seeds not in ("distinct", "any"):
        raise ConfigError(f"rule table {path}: seeds={table.seeds!r}; expected distinct or any")
    return LoadedTable(table, path, hashlib.sha256(text.encode()).hexdigest()[:16])


__all__ = ["ConstraintSpec", "constraint_kind", "DatasetRule", "TargetRule", "RuleTable", "LoadedTable", "load_table",
           "load_table_file", "find_table", "table_dirs"]
