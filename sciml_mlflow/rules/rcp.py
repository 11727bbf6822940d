"""Reference convergence points (RCPs), in the style of MLPerf's rcp_checker, for our benchmarks.

An RCP file ``conf/rcp/<benchmark>.json`` records, for one configuration (dataset scale, batch size,
target), the epoch at which each of >= 5 reference runs (distinct seeds, closed rules, the card's
hyperparameters) first reached the target, with their mean and sample standard deviation.  A run of the
same configuration that reaches the target earlier than ``mean - 2 * stdev`` epochs (and earlier than
every reference run) converged implausibly fast -- a sign of a changed dataset, a leak or a broken
evaluation -- and ``sciml-mlflow check`` fails it (check kind ``rcp``).  Runs of another configuration
are not judged ("no reference").  MLPerf compares samples to converge of a whole result against a
pruned, interpolated RCP set; with one reference batch size per benchmark we compare each run's epochs.
Regenerate a file with ``python scripts/rcp_reference.py --sweep <id>`` from a reference sweep.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from sciml_mlflow.rules.constraints import Check
from sciml_mlflow.telemetry import target as target_def

MIN_REFERENCE_RUNS = 5
SPREAD = 2.0  # how many standard deviations below the mean is implausible


@dataclass
class Rcp:
    benchmark: str
    metric: str
    target: float
    mode: str
    scale: str
    batch_size: int
    seeds: List[int]
    epochs_to_target: List[int]
    mean: float
    stdev: float
    source: Dict[str, Any] = field(default_factory=dict)

    @property
    def min_plausible(self) -> float:
        """Fewer epochs than this (and than every reference run) is implausibly fast."""
        return min(self.mean - SPREAD * self.stdev, float(min(self.epochs_to_target)))


def rcp_dir() -> Path:
    from sciml_mlflow.core.resources import config_dir

    return config_dir() / "rcp"


def load_rcp(benchmark: str, folder: Optional[Path] = None) -> Optional[Rcp]:
    path = (folder or rcp_dir()) / f"{benchmark}.json"
    if not path.is_file():
        return None
    data = json.loads(path.read_text())
    data.pop("min_plausible", None)
    return Rcp(**data)


def build_rcp(runs: Sequence[Any], source: Optional[Dict[str, Any]] = None) -> Rcp:
    """An RCP from reference runs (report RunRecords with their target metric's history)."""
    from sciml_mlflow.errors import ConfigError

    if len(runs) < MIN_REFERENCE_RUNS:
        raise ConfigError(f"an RCP needs >= {MIN_REFERENCE_RUNS} reference runs, got {len(runs)}")
    first = runs[0]
    p = first.params
    metric, value, mode = p["benchmark.target.metric"], float(p["benchmark.target.value"]), p["benchmark.target.mode"]
    seeds, epochs = [], []
    for r in runs:
        reach = target_def.first_reach(r.history.get(metric, []), value, mode)
        if reach is None:
            raise ConfigError(f"reference run {r.run_id} never reached {metric} {value}: not a reference")
        seeds.append(int(r.tags.get("seed", r.params.get("seed", "0"))))
        epochs.append(reach.step)
    if len(set(seeds)) != len(seeds):
        raise ConfigError(f"reference runs must have distinct seeds, got {seeds}")
    return Rcp(first.tags.get("benchmark", p.get("benchmark.name", "")), metric, value, mode,
               p.get("benchmark.dataset.scale", ""), int(p.get("benchmark.training.batch_size", "0")),
               seeds, epochs, statistics.fmean(epochs), statistics.stdev(epochs), dict(source or {}))


def write_rcp(rcp: Rcp, folder: Optional[Path] = None) -> Path:
    path = (folder or rcp_dir()) / f"{rcp.benchmark}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({**asdict(rcp), "min_plausible": rcp.min_plausible}, indent=2) + "\n")
    return path


def rcp_check(run: Any, rcp: Optional[Rcp]) -> Optional[Check]:
    """The run's epochs to target against the reference; None when there is nothing to compare."""
    if rcp is None:
        return None
    p = run.params
    same = (p.get("benchmark.dataset.scale") == rcp.scale and p.get("benchmark.training.batch_size") == str(rcp.batch_size)
            and p.get("benchmark.target.metric") == rcp.metric)
    if not same:
        return Check("rcp", "epochs_to_target", "-", f"reference at scale {rcp.scale}, batch {rcp.batch_size}", None,
                     "no reference for this configuration")
    reach = target_def.first_reach(run.history.get(rcp.metric, []), rcp.target, rcp.mode)
    if reach is None:
        return None  # not converged: the convergence check says so
    ok = reach.step >= rcp.min_plausible
    return Check("rcp", "epochs_to_target", str(reach.step),
                 f">= {rcp.min_plausible:.2f} (reference {rcp.mean:.2f} +- {rcp.stdev:.2f} over {len(rcp.seeds)} seeds)",
                 ok, "" if ok else "converged implausibly fast against the reference convergence points")


__all__ = ["Rcp", "load_rcp", "build_rcp", "write_rcp", "rcp_check", "rcp_dir", "MIN_REFERENCE_RUNS", "SPREAD"]
