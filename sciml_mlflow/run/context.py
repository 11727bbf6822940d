"""The one construction of a :class:`RunContext` from a composed config (runner and DDP worker alike)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from omegaconf import OmegaConf

from sciml_mlflow.core.context import (HardwareProfile, MetricSink, ModelRecorder, PhaseRecorder, RunContext,
                                       TelemetryControl, Target, make_hyperparameters)
from sciml_mlflow.hardware.check import select_device

log = logging.getLogger(__name__)
TRAIN_RATE = "train_throughput_samples_per_s"  # training.fit's warm-up-excluded rate: what ``flops.train`` is per


@dataclass(frozen=True)
class FlopsDeclaration:
    """The card's FLOPs per sample for this run's mode, and the throughput metric they multiply."""

    per_sample: float
    rate_metric: str


def target_of(cfg: Any) -> Optional[Target]:
    """The benchmark card's target (None when the card names none)."""
    tgt = cfg.benchmark.target
    return Target(str(tgt.metric), float(tgt.value), str(tgt.mode)) if tgt is not None else None


def flops_declaration(cfg: Any) -> Optional[FlopsDeclaration]:
    """The card's ``flops`` number for ``cfg.mode``, when it holds for this run: the same model variant and
    the option values it assumes (another crop size or stride does other work per sample).  None otherwise,
    with the reason logged: a wrong FLOP/s is worse than none."""
    decl = cfg.benchmark.get("flops")
    per = None if decl is None else decl.get(cfg.mode)
    if per is None:
        return None
    if str(cfg.benchmark.model) != str(decl.model):
        log.info("FLOPs of %s are declared for model %s, not %s: no FLOP/s logged", cfg.benchmark.name, decl.model,
                 cfg.benchmark.model)
        return None
    options = cfg.benchmark.options
    differ = sorted(str(k) for k, v in decl.options.items() if options.get(k) != v)
    if differ:
        log.info("FLOPs of %s are declared for %s: this run's %s differ: no FLOP/s logged", cfg.benchmark.name,
                 dict(decl.options), ", ".join(f"options.{k}" for k in differ))
        return None
    return FlopsDeclaration(float(per), TRAIN_RATE if cfg.mode == "train" else str(decl.inference_rate))


def build_context(cfg: Any, data_dir: Path, output_dir: Path, metrics: MetricSink, profile: HardwareProfile,
                  phases: Optional[PhaseRecorder] = None, telemetry: Optional[TelemetryControl] = None,
                  show_progress: Optional[bool] = None, device: Optional[str] = None,
                  model_dir: Optional[Path] = None, models: Optional[ModelRecorder] = None) -> RunContext:
    """The context ``cfg``'s entry point receives.

    ``model_dir`` defaults to ``output_dir/model``; the runner passes a temporary folder instead so that
    Hydra's output folders never hold a copy of the model (it is uploaded to the run, then removed).
    """
    model_dir = Path(model_dir) if model_dir is not None else Path(output_dir) / "model"
    model_dir.mkdir(parents=True, exist_ok=True)
    return RunContext(
        benchmark=str(cfg.benchmark.name), mode=str(cfg.mode), data_dir=Path(data_dir), output_dir=Path(output_dir),
        model_dir=model_dir, device=device or select_device(profile), seed=int(cfg.seed),
        scale=str(cfg.benchmark.dataset.scale), model=str(cfg.benchmark.model),
        hparams=make_hyperparameters(cfg.benchmark.training), hardware=profile, metrics=metrics,
        options=OmegaConf.to_container(cfg.benchmark.options, resolve=True),  # type: ignore[arg-type]
        target=target_of(cfg), show_progress=bool(cfg.progress) if show_progress is None else show_progress,
        phases=phases, telemetry=telemetry, models=models,
        bench_args=OmegaConf.to_container(cfg.benchmark.bench_args, resolve=True),  # type: ignore[arg-type]
    )
