"""Hyperparameter search: an Optuna study whose trials are ordinary benchmark runs under a study run.

Why not Hydra's Optuna sweeper: hydra-optuna-sweeper pins optuna<3 and cannot sit beside a current
MLflow; here a current Optuna drives the same ``run_benchmark`` the command line uses, one composed config
per trial.  Each trial is a full MLflow run (params, metrics, compliance) tagged ``study.*`` and nested
under a parent study run, which ends with the best trial recorded.

The search space is what the active rules allow to vary:
- ``conf/search/<benchmark>.yaml`` (or ``--space FILE``) proposes dimensions;
- under a rule table (closed division) a key the table fixes is dropped, ``one_of`` narrows choices, a
  range clips bounds, and every sampled point is checked against the table (expressions included)
  before it runs — a point the rules refuse is pruned, never run;
- without a space file, the table's ``one_of``/range keys under ``benchmark.training`` form the space.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import yaml

from sciml_mlflow.errors import ConfigError

log = logging.getLogger(__name__)


@dataclass
class Dimension:
    """One searchable hyperparameter (a dotted config key)."""

    key: str
    low: Optional[float] = None  # numeric range (inclusive)
    high: Optional[float] = None
    log: bool = False  # sample on a log scale
    integer: bool = False  # sample integers
    choices: List[Any] = field(default_factory=list)  # categorical instead of a range

    def suggest(self, trial: Any) -> Any:
        if self.choices:
            return trial.suggest_categorical(self.key, list(self.choices))
        if self.integer:
            return trial.suggest_int(self.key, int(self.low), int(self.high), log=self.log)  # type: ignore[arg-type]
        return trial.suggest_float(self.key, float(self.low), float(self.high), log=self.log)  # type: ignore[arg-type]


_DIM_KEYS = {"low", "high", "log", "integer", "choices"}


def load_space_file(path: Path) -> Dict[str, Dimension]:
    """``{dotted.key: {low, high, log, integer} | {choices: [...]}}``; unknown fields fail."""
    data = yaml.safe_load(path.read_text()) or {}
    space: Dict[str, Dimension] = {}
    for key, spec in (data.get("space") or {}).items():
        if not isinstance(spec, dict) or set(spec) - _DIM_KEYS:
            raise ConfigError(f"{path}: search dimension {key!r} must be a mapping with fields from "
                              f"{sorted(_DIM_KEYS)}; got {spec!r}")
        dim = Dimension(key, **spec)
        if not dim.choices and (dim.low is None or dim.high is None or dim.low > dim.high):
            raise ConfigError(f"{path}: {key!r} needs low <= high, or choices")
        space[key] = dim
    return space


def _table(cfg: Any) -> Optional[Any]:
    if cfg.rules.division != "closed":
        return None
    try:
        from sciml_mlflow.rules.table import load_table
    except ImportError:
        return None
    loaded = load_table(cfg.benchmark.name)
    return loaded.table if loaded is not None else None


def constrain(space: Dict[str, Dimension], table: Any) -> Dict[str, Dimension]:
    """Narrow ``space`` to what ``table`` lets vary (keys it fixes are dropped with a warning)."""
    out: Dict[str, Dimension] = {}
    for key, dim in space.items():
        spec = table.hyperparameters.get(key)
        if spec is None or spec.unconstrained or spec.expr:
            out[key] = dim  # expressions are checked per sampled point
        elif spec.fixed is not None:
            log.warning("search: %s is fixed to %r by the rules; not searched", key, spec.fixed)
        elif spec.one_of:
            choices = [c for c in (dim.choices or spec.one_of) if c in spec.one_of and
                       (dim.choices or dim.low is None or dim.low <= c <= dim.high)]
            if not choices:
                raise ConfigError(f"search: no value of {key} proposed is allowed by the rules ({spec.one_of})")
            out[key] = Dimension(key, choices=choices)
        else:
            low = max(x for x in (dim.low, spec.min) if x is not None)
            high = min(x for x in (dim.high, spec.max) if x is not None)
            if low > high:
                raise ConfigError(f"search: {key} range [{dim.low}, {dim.high}] is outside the rules' "
                                  f"[{spec.min}, {spec.max}]")
            out[key] = Dimension(key, low, high, dim.log, dim.integer)
    return out


def space_from_table(table: Any) -> Dict[str, Dimension]:
    out: Dict[str, Dimension] = {}
    for key, spec in table.hyperparameters.items():
        if not key.startswith("benchmark.training."):
            continue
        if spec.one_of:
            out[key] = Dimension(key, choices=list(spec.one_of))
        elif spec.min is not None and spec.max is not None and spec.fixed is None:
            integer = float(spec.min).is_integer() and float(spec.max).is_integer()
            out[key] = Dimension(key, spec.min, spec.max, integer=integer)
    return out


def search_space(cfg: Any, space_file: Optional[Path] = None) -> Dict[str, Dimension]:
    """The dimensions to search for the composed ``cfg`` (see the module docstring)."""
    from sciml_mlflow.core.resources import config_dir, extra_collections

    if space_file is None:
        for root in [config_dir()] + [c / "conf" for c in extra_collections()]:
            cand = root / "search" / f"{cfg.benchmark.name}.yaml"
            if cand.is_file():
                space_file = cand
                break
    table = _table(cfg)
    if space_file is not None:
        space = load_space_file(Path(space_file))
        return constrain(space, table) if table is not None else space
    if table is not None:
        return space_from_table(table)
    raise ConfigError(f"no search space for {cfg.benchmark.name!r}: add conf/search/{cfg.benchmark.name}.yaml "
                      "(space: {benchmark.training.learning_rate: {low: 1e-4, high: 1e-2, log: true}}) or pass "
                      "--space FILE; under rules=closed the benchmark's rule table can provide it")


def _allowed(cfg: Any, table: Any, point: Dict[str, Any]) -> Optional[str]:
    """None when the rules allow ``point`` (checked on the full config), else why not."""
    if table is None:
        return None
    from omegaconf import OmegaConf

    from sciml_mlflow.rules.constraints import evaluate_one
    from sciml_mlflow.tracking.params import to_params

    flat, _ = to_params(OmegaConf.to_container(cfg, resolve=True), 10**9)
    values: Dict[str, Any] = {}
    for k, v in flat.items():
        values[k] = yaml.safe_load(v) if isinstance(v, str) else v
    values.update(point)
    for key in point:
        spec = table.hyperparameters.get(key)
        if spec is not None:
            check = evaluate_one(key, spec, values)
            if not check.ok:
                return f"{key}={point[key]!r}: {check.detail or 'refused'}"
    return None


@dataclass
class StudyResult:
    study_id: str
    parent_run_id: str
    status: str
    best_value: Optional[float]
    best_params: Dict[str, Any]
    trials: List[Dict[str, Any]]


def run_study(overrides: Sequence[str], metric: Optional[str] = None, direction: Optional[str] = None,
              n_trials: int = 10, space_file: Optional[Path] = None, seed: int = 0,
              storage: Optional[str] = None, study_name: Optional[str] = None) -> StudyResult:
    """Search the hyperparameters of the benchmark composed from ``overrides``; one MLflow run per trial.

    ``metric`` defaults to the benchmark's target metric and ``direction`` to its mode (max/min).
    """
    import optuna

    from sciml_mlflow.run.compose import compose
    from sciml_mlflow.run import experiment_name, run_benchmark, target_of
    from sciml_mlflow.sweep.parent import SweepRun

    base = compose(list(overrides))
    tgt = target_of(base)
    metric = metric or (tgt.metric if tgt is not None else None)
    if not metric:
        raise ConfigError(f"benchmark {base.benchmark.name!r} has no target metric: pass --metric NAME")
    direction = direction or (tgt.mode if tgt is not None else "max")
    if direction not in ("max", "min"):
        raise ConfigError(f"direction {direction!r}: expected max or min")
    space = search_space(base, space_file)
    table = _table(base)
    exp = experiment_name(base)
    import tempfile

    parent = SweepRun.open(base.tracking.uri, exp, base.tracking.artifact_root,
                           Path(tempfile.gettempdir()) / "sciml-studies", list(overrides), kind="study",
                           run_name=study_name or f"study-{base.benchmark.name}",
                           extra_tags={"study.metric": metric, "study.direction": direction,
                                       "study.space": ",".join(sorted(space))})
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="maximize" if direction == "max" else "minimize",
                                sampler=optuna.samplers.TPESampler(seed=seed), storage=storage,
                                study_name=study_name or parent.sweep_id, load_if_exists=storage is not None)
    trials: List[Dict[str, Any]] = []

    def objective(trial: Any) -> float:
        point = {k: d.suggest(trial) for k, d in space.items()}
        trial_overrides = list(overrides) + [f"{k}={v}" for k, v in point.items()]
        cfg = compose(trial_overrides)
        refused = _allowed(cfg, table, point)
        if refused:
            trials.append({"number": trial.number, "params": point, "state": "PRUNED", "note": refused})
            raise optuna.TrialPruned(f"refused by the rules: {refused}")
        tags = {"mlflow.parentRunId": parent.run_id, "sweep.id": parent.sweep_id, "sweep.job": str(trial.number),
                "sweep.overrides": " ".join(f"{k}={v}" for k, v in point.items()),
                "study.name": study.study_name, "study.trial": str(trial.number)}
        row: Dict[str, Any] = {"number": trial.number, "params": point}
        trials.append(row)
        try:
            result = run_benchmark(cfg, None, trial_overrides, extra_tags=tags)
        except Exception as exc:
            row.update(state="FAIL", note=f"{type(exc).__name__}: {exc}"[:200])
            raise
        row["run_id"] = result.run_id
        value = result.metrics.get(metric)
        if value is None or not math.isfinite(value):
            row.update(state="FAIL", note=f"metric {metric!r} not logged or not finite")
            raise ConfigError(f"trial {trial.number}: the run logged no finite {metric!r}; "
                              f"logged: {', '.join(sorted(result.metrics)) or 'nothing'}")
        row.update(state="COMPLETE", value=value)
        return float(value)

    failed = True
    try:
        study.optimize(objective, n_trials=n_trials, catch=(Exception,))
        failed = False
    finally:
        done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
        best = study.best_trial if done else None
        if best is not None:
            from mlflow.entities import Metric, Param
            from mlflow.tracking import MlflowClient

            client = MlflowClient(tracking_uri=base.tracking.uri)
            client.log_batch(parent.run_id, metrics=[Metric(f"best_{metric}", float(best.value), int(time.time() * 1000), 0)],
                             params=[Param(f"best.{k}", str(v)) for k, v in best.params.items()],
                             tags=[])
            client.set_tag(parent.run_id, "study.best_trial", str(best.number))
        parent.close(failed=failed or not done)
    return StudyResult(parent.sweep_id, parent.run_id, parent.status, best.value if best else None,  # type: ignore[attr-defined]
                       dict(best.params) if best else {}, trials)
