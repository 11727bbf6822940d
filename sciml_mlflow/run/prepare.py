"""Step 1 of a run: everything that can be refused is checked before a run exists.

Benchmark and mode, hardware, rules and the store are resolved here; nothing is written to the store
except the experiment (created on first use).
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

import sciml_mlflow.scimlbench  # noqa: F401  (registers SciMLBench folders with discovery)
from sciml_mlflow.core import registry
from sciml_mlflow.core.registry import BenchmarkSpec
from sciml_mlflow.hardware.check import HardwareCheck, check_hardware
from sciml_mlflow.run.naming import ensure_run_experiment

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Prepared:
    """A run that may start: its benchmark, hardware check, compliance, store and folders."""

    cfg: Any
    spec: BenchmarkSpec
    entry: Callable[..., object]
    hardware: HardwareCheck
    compliance: Any  # rules.Compliance
    client: Any  # MlflowClient
    experiment_id: str
    model_source: Optional[Any]  # tracking.models.ModelSource (inference)
    output_dir: Path
    model_dir: Path  # a temporary folder: the model lives in MLflow only, never in Hydra's output folders


def _announce_mismatch(reason: str) -> None:
    """Loud, but not fatal under open rules: the run goes on and the mismatch is tagged."""
    log.warning("HARDWARE MISMATCH: %s. The run continues on this machine and is tagged "
                "hardware.mismatch=true; results are NOT representative of the configured profile.", reason)


def prepare(cfg: Any, output_dir: Optional[Path] = None) -> Prepared:
    """Resolve and check ``cfg``; raises ConfigError-family errors (no run exists yet)."""
    from sciml_mlflow import rules
    from sciml_mlflow.tracking import store

    from sciml_mlflow.config.schema import check_config

    spec = registry.get(cfg.benchmark.name)  # unknown benchmark / a mode it lacks: said first
    entry = spec.entry_point(cfg.mode)
    check_config(cfg)  # value domains and unknown keys
    hardware = check_hardware(cfg.hardware)
    if hardware.reason:
        _announce_mismatch(hardware.reason)
    compliance = rules.precheck(cfg, hardware.profile, hardware.reason)
    client = store.connect(cfg.tracking.uri)
    exp_id = ensure_run_experiment(client, cfg)
    model_source = None
    if cfg.mode == "inference":
        from sciml_mlflow.tracking.models import resolve_model

        model_source = resolve_model(client, exp_id, cfg.model_uri)
    out = Path(output_dir) if output_dir else Path(tempfile.mkdtemp(prefix=f"sciml-{spec.name}-"))
    out.mkdir(parents=True, exist_ok=True)
    model_dir = Path(tempfile.mkdtemp(prefix=f"sciml-{spec.name}-model-"))
    return Prepared(cfg, spec, entry, hardware, compliance, client, exp_id, model_source, out, model_dir)
