"""Typed schema of a report definition (``conf/report/<name>.yaml``).

Figures of merit are data: a new one can be added to the YAML after the runs exist and ``sciml-mlflow
report`` computes it over the stored histories.  Unknown keys fail (OmegaConf structured merge).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional

from omegaconf import MISSING

from sciml_mlflow.tracking.metric_keys import TRAINING_ENERGY

FIGURE_KINDS = ("time_to_target", "energy_to_target", "metric", "per_watt", "expression")
AGGREGATES = ("mean_ci", "olympic", "median", "min", "max", "sum")
REDUCTIONS = ("last", "max", "min", "mean", "first")


@dataclass
class FigureSpec:
    """One figure of merit: a per-run value (kind) and how a group aggregates it."""

    name: str = MISSING  # column name; also the variable name in later `expression` figures
    kind: str = MISSING  # time_to_target | energy_to_target | metric | per_watt | expression
    metric: Optional[str] = None  # metric key: the value (metric), numerator (per_watt), quality (…_to_target)
    reduce: str = "last"  # metric over its history: last | max | min | mean | first
    target: Optional[float] = None  # …_to_target: threshold; None: the run's benchmark.target.value param
    target_mode: Optional[str] = None  # max | min; None: the run's benchmark.target.mode param
    expr: Optional[str] = None  # expression: safe expression over earlier figures of the same run
    aggregate: str = "mean_ci"  # over a group's runs: mean_ci | olympic | median | min | max | sum
    better: str = "lower"  # ranking direction: lower | higher
    unit: str = ""  # shown in headers
    description: str = ""  # one line for the report


@dataclass
class ReportConfig:
    """What to select from the store, how to group it, which figures to compute and show."""

    title: str = "Benchmark report"  # page and Markdown title
    experiments: List[str] = field(default_factory=list)  # experiment names; empty: every active experiment
    filter: Optional[str] = None  # MLflow search filter string, e.g. "tags.`sweep.id` = 'abc'"
    mode: Optional[str] = "train"  # keep runs whose tag mode equals this; null: all
    statuses: List[str] = field(default_factory=lambda: ["FINISHED"])  # run statuses kept
    # what makes runs comparable (report.grouping): benchmark, dataset, model, options, hardware, rules;
    # any tag or dotted param key may be added or used instead
    group_by: List[str] = field(default_factory=lambda: ["benchmark", "dataset", "model", "options", "hardware",
                                                         "rules"])
    rank_by: Optional[str] = None  # figure ranked on; None: the first figure
    rank_within: List[str] = field(default_factory=lambda: ["benchmark", "dataset"])  # ranks restart per value
    pareto_x: Optional[str] = "time_to_target"  # figure on the Pareto plot's x axis (lower is better)
    pareto_y: Optional[str] = None  # figure on its y axis; None: the first figure with better=higher
    curve_metric: Optional[str] = None  # learning curves; None: each run's benchmark.target.metric param
    curve_max_runs: int = 10  # learning curves drawn per group (thousands of lines help nobody)
    bars: List[str] = field(default_factory=list)  # figures drawn as per-hardware bars; empty: all mean_ci ones
    elapsed_metric: str = "epoch_elapsed_s"  # per-epoch training time since training start (step = epoch)
    energy_metric: str = "system/total_energy_joules"  # cumulative energy samples (joules, timestamped)
    energy_phase_metric: str = TRAINING_ENERGY  # training-phase energy total (fallback)
    power_metric: str = "system/total_power_watts"  # power samples (fallback for per_watt)
    confidence: float = 0.95  # confidence level of mean_ci intervals (Student t)
    log_to_mlflow: bool = True  # also log the outputs as artifacts of a "report" run
    report_experiment: str = "reports"  # experiment holding report runs
    artifact_root: Optional[str] = None  # artifact root of that experiment if new; None: <sqlite dir>/artifacts
    figures: List[FigureSpec] = field(default_factory=list)  # the figures of merit


def load_report_config(name_or_path: str) -> ReportConfig:
    """``default`` (conf/report/default.yaml, or a collection's) or a path to a YAML file."""
    from omegaconf import OmegaConf

    from sciml_mlflow.errors import ConfigError

    path = Path(name_or_path).expanduser()
    if not path.is_file():
        from sciml_mlflow.core.resources import config_dir, extra_collections

        candidates = [config_dir() / "report" / f"{name_or_path}.yaml"]
        candidates += [c / "conf" / "report" / f"{name_or_path}.yaml" for c in extra_collections()]
        found = [c for c in candidates if c.is_file()]
        if not found:
            raise ConfigError(f"report config {name_or_path!r} not found (looked at {', '.join(map(str, candidates))}); "
                              f"pass a YAML path or a name under conf/report/")
        path = found[0]
    try:
        merged = OmegaConf.merge(OmegaConf.structured(ReportConfig), OmegaConf.load(path))
        cfg: ReportConfig = OmegaConf.to_object(merged)  # type: ignore[assignment]
    except Exception as exc:
        raise ConfigError(f"report config {path} is invalid: {exc}; schema: sciml_mlflow.report.schema."
                          f"ReportConfig") from None
    validate(cfg, str(path))
    return cfg


def validate(cfg: ReportConfig, where: str = "report config") -> None:
    from sciml_mlflow.errors import ConfigError
    from sciml_mlflow.rules import expression

    seen: List[str] = []
    for f in cfg.figures:
        if f.kind not in FIGURE_KINDS:
            raise ConfigError(f"{where}: figure {f.name!r} has kind {f.kind!r}; expected one of {', '.join(FIGURE_KINDS)}")
        if f.aggregate not in AGGREGATES:
            raise ConfigError(f"{where}: figure {f.name!r} aggregate {f.aggregate!r}; expected {', '.join(AGGREGATES)}")
        if f.reduce not in REDUCTIONS:
            raise ConfigError(f"{where}: figure {f.name!r} reduce {f.reduce!r}; expected {', '.join(REDUCTIONS)}")
        if f.better not in ("lower", "higher"):
            raise ConfigError(f"{where}: figure {f.name!r} better={f.better!r}; expected lower or higher")
        if f.kind in ("metric", "per_watt") and not f.metric:
            raise ConfigError(f"{where}: figure {f.name!r} of kind {f.kind} needs `metric:`")
        if f.kind == "expression":
            if not f.expr:
                raise ConfigError(f"{where}: figure {f.name!r} of kind expression needs `expr:`")
            expression.validate(f.expr, set(seen))
        if f.name in seen:
            raise ConfigError(f"{where}: figure name {f.name!r} appears twice")
        seen.append(f.name)
    if cfg.rank_by is not None and cfg.rank_by not in seen:
        raise ConfigError(f"{where}: rank_by={cfg.rank_by!r} is not a figure ({', '.join(seen)})")


__all__ = ["FigureSpec", "ReportConfig", "load_report_config", "validate", "FIGURE_KINDS", "AGGREGATES"]
