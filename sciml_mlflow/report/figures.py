"""Per-run figures of merit, computed from a run's stored history.

- time_to_target: from run_start (tag ``time.run_start_ms``) to the end of the evaluation that first
  reached the target -- the ONE definition, ``sciml_mlflow.telemetry.target``, that the run's own
  ``time_to_target_s`` metric and the MLLOG log use too (they agree to the millisecond);
- energy_to_target: joules over the same window, from cumulative energy samples interpolated at its two
  ends, else the training-phase energy prorated by time; "not measured" otherwise;
- metric: a logged metric reduced over its history (last, max, min, mean, first);
- per_watt: a metric divided by the mean power over the training window (e.g. samples/s per W);
- expression: a safe expression over earlier figures of the same run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Dict, List, Optional, Set

from sciml_mlflow.tracking.runstore import Point, RunRecord
from sciml_mlflow.report.schema import FigureSpec, ReportConfig
from sciml_mlflow.telemetry import target as target_def

OK, NOT_CONVERGED, NOT_MEASURED = "ok", "not_converged", "not_measured"


@dataclass(frozen=True)
class RunValue:
    value: Optional[float]
    status: str = OK  # ok | not_converged | not_measured


def _target(run: RunRecord, spec: FigureSpec) -> Optional[tuple[str, float, str]]:
    metric = spec.metric or run.params.get("benchmark.target.metric")
    value = spec.target if spec.target is not None else _float(run.params.get("benchmark.target.value"))
    mode = spec.target_mode or run.params.get("benchmark.target.mode") or "max"
    if not metric or metric == "None" or value is None:
        return None
    return metric, value, mode


def _float(text: Optional[str]) -> Optional[float]:
    try:
        return None if text is None else float(text)
    except ValueError:
        return None


def _window(run: RunRecord, cfg: ReportConfig) -> Optional[tuple[float, float]]:
    """(training start, training end) in ms, from the per-epoch elapsed history."""
    el = run.history.get(cfg.elapsed_metric)
    if not el:
        return None
    start = el[0][2] - el[0][1] * 1000.0
    return start, float(el[-1][2])


def target_reach(run: RunRecord, spec: FigureSpec) -> tuple[Optional[int], Optional[target_def.Reach], str]:
    """(run_start ms, the reaching evaluation, status) of a run for a ``…_to_target`` figure."""
    tgt = _target(run, spec)
    if tgt is None:
        return None, None, NOT_MEASURED
    reach = target_def.first_reach(run.history.get(tgt[0], []), tgt[1], tgt[2])
    if reach is None:
        return None, None, NOT_CONVERGED
    start = target_def.run_start_ms(run.tags)
    return start, reach, OK if start is not None else NOT_MEASURED  # no run_start tag: recorded before it existed


def time_to_target(run: RunRecord, spec: FigureSpec, cfg: ReportConfig) -> RunValue:
    start, reach, status = target_reach(run, spec)
    value = target_def.time_to_target(start, reach)
    return RunValue(value) if value is not None else RunValue(None, status)


def _energy_between(run: RunRecord, cfg: ReportConfig, t0: float, t1: float) -> Optional[float]:
    return target_def.energy_between(run.history.get(cfg.energy_metric) or [], t0, t1)


def energy_to_target(run: RunRecord, spec: FigureSpec, cfg: ReportConfig) -> RunValue:
    start, reach, status = target_reach(run, spec)
    if start is None or reach is None:
        return RunValue(None, status)
    ttt_s = target_def.seconds_between(start, reach.timestamp_ms)
    e = _energy_between(run, cfg, start, reach.timestamp_ms)
    if e is not None:
        return RunValue(e)
    phase = run.metrics.get(cfg.energy_phase_metric)
    el = run.history.get(cfg.elapsed_metric)
    if phase is not None and el and el[-1][1] > 0:
        return RunValue(phase * ttt_s / el[-1][1])  # training-phase energy, prorated
    return RunValue(None, NOT_MEASURED)


def reduce_metric(run: RunRecord, metric: str, how: str) -> Optional[float]:
    hist = run.history.get(metric)
    if not hist:
        return run.metrics.get(metric)
    values = [v for _, v, _ in hist if not math.isnan(v)]
    if not values:
        return None
    return {"last": values[-1], "first": values[0], "max": max(values), "min": min(values),
            "mean": math.fsum(values) / len(values)}[how]


def mean_power(run: RunRecord, cfg: ReportConfig) -> Optional[float]:
    window = _window(run, cfg)
    if window is not None and window[1] > window[0]:
        e = _energy_between(run, cfg, *window)
        if e is not None and e > 0:
            return e / ((window[1] - window[0]) / 1000.0)
        phase = run.metrics.get(cfg.energy_phase_metric)
        if phase:
            return phase / ((window[1] - window[0]) / 1000.0)
    power = run.history.get(cfg.power_metric)
    if power:
        return math.fsum(p[1] for p in power) / len(power)
    return None


def compute(run: RunRecord, figures: List[FigureSpec], cfg: ReportConfig) -> Dict[str, RunValue]:
    """Every figure of ``run``, in order (expressions see the figures before them)."""
    from sciml_mlflow.rules.expression import evaluate
    from sciml_mlflow.errors import ExpressionError

    out: Dict[str, RunValue] = {}
    for spec in figures:
        if spec.kind == "time_to_target":
            out[spec.name] = time_to_target(run, spec, cfg)
        elif spec.kind == "energy_to_target":
            out[spec.name] = energy_to_target(run, spec, cfg)
        elif spec.kind == "metric":
            v = reduce_metric(run, str(spec.metric), spec.reduce)
            out[spec.name] = RunValue(v) if v is not None else RunValue(None, NOT_MEASURED)
        elif spec.kind == "per_watt":
            v = reduce_metric(run, str(spec.metric), spec.reduce)
            p = mean_power(run, cfg)
            out[spec.name] = RunValue(v / p) if v is not None and p else RunValue(None, NOT_MEASURED)
        else:
            variables = {k: rv.value for k, rv in out.items() if rv.value is not None}
            try:
                out[spec.name] = RunValue(float(evaluate(str(spec.expr), variables)))
            except (ExpressionError, KeyError):
                out[spec.name] = RunValue(None, NOT_MEASURED)
    return out


def history_keys(figures: List[FigureSpec], cfg: ReportConfig) -> Set[str]:
    """Metric keys whose full history the figures and learning curves need (plus each run's target metric)."""
    keys = {cfg.elapsed_metric, cfg.energy_metric, cfg.power_metric}
    for spec in figures:
        if spec.metric:
            keys.add(spec.metric)
    if cfg.curve_metric:
        keys.add(cfg.curve_metric)
    return keys


__all__ = ["RunValue", "compute", "history_keys", "time_to_target", "energy_to_target", "target_reach", "mean_power",
           "reduce_metric", "OK", "NOT_CONVERGED", "NOT_MEASURED"]
