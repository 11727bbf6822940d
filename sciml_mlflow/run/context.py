"""The one construction of a :class:`RunContext` from a composed config (runner and DDP worker alike)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from omegaconf import OmegaConf

from sciml_mlflow.core.context import (HardwareProfile, MetricSink, ModelRecorder, PhaseRecorder, RunContext,
                                       TelemetryControl, Target, make_hyperparameters)
from sciml_mlflow.hardware.check import select_device


def target_of(cfg: Any) -> Optional[Target]:
    """The benchmark card's target (None when the card names none)."""
    tgt = cfg.benchmark.target
    return Target(str(tgt.metric), float(tgt.value), str(tgt.mode)) if tgt is not None else None


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
