"""The one object a benchmark's entry points receive.

Small and frozen on purpose (modelled on benchopt's run context): everything a benchmark may depend
on is here, typed, so benchmarks never read raw config dicts or ``os.environ`` and can be called from
tests with a hand-made context.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Optional, Protocol, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


class MetricSink(Protocol):
    """What benchmarks log science metrics through (MetricLogger in a real run)."""

    def log(self, name: str, value: float, step: int = 0) -> None: ...

    def log_dict(self, metrics: Mapping[str, float], step: int = 0) -> None: ...


@dataclass(frozen=True)
class Hyperparameters:
    """The training hyperparameters of the composed config (see config.schema.TrainingConfig)."""

    epochs: int
    batch_size: int
    learning_rate: float
    weight_decay: float
    optimizer: str
    early_stopping_patience: int
    validation_fraction: float


@dataclass(frozen=True)
class HardwareProfile:
    """The configured hardware profile, with what the framework detected and chose."""

    name: str
    accelerator: str
    device_count: int
    nodes: int
    precision: str
    peak_flops: Mapping[str, float]
    tdp_watts: Optional[float]
    dataloader_workers: int
    detected: str = "unknown"  # profile name matching this machine
    mismatch: bool = False
    channels_last: bool = False  # NHWC memory layout for image models on a GPU (training.fit/infer)
    compile: bool = False  # torch.compile the training model (training.fit)


@dataclass(frozen=True)
class Target:
    metric: str
    value: float
    mode: str = "max"

    def reached(self, value: float) -> bool:
        return value >= self.value if self.mode == "max" else value <= self.value


class PhaseRecorder(Protocol):
    """Times application phases (data loading, training, evaluation, ...)."""

    def phase(self, name: str) -> contextlib.AbstractContextManager[None]: ...


class TelemetryControl(Protocol):
    """Coarse logging control from benchmark code (sciml_mlflow.telemetry.control implements it)."""

    def pause(self) -> None: ...

    def resume(self) -> None: ...

    def monitor(self, region: str) -> contextlib.AbstractContextManager[None]: ...

    def record_flops(self, per_sample: float, samples: Optional[float] = None,
                     seconds: Optional[float] = None, rate_metric: Optional[str] = None) -> None: ...


class ModelRecorder(Protocol):
    """The run's MLflow model (sciml_mlflow.tracking.models.RunModels implements it)."""

    def log(self, module: Any, input_example: Any) -> None: ...

    def load(self, device: str) -> Optional[Any]: ...


@dataclass(frozen=True)
class RunContext:
    """Everything a benchmark entry point may use.

    - ``data_dir``: the dataset root, in the real data layout (staged and verified by the framework).
    - ``output_dir``: a private folder; anything written under ``output_dir/artifacts`` is logged.
    - ``model_dir``: train writes the trained model here; inference finds it here.
    - ``metrics``: science-metric logger (buffered; cheap enough to call every step).
    - ``telemetry``: coarse control of system sampling (pause/resume/monitor) and FLOP declaration.
    - ``models``: the run's MLflow model (``log_model`` in training, ``load_model`` in inference).
    """

    benchmark: str
    mode: str
    data_dir: Path
    output_dir: Path
    model_dir: Path
    device: str
    seed: int
    scale: str
    model: str
    hparams: Hyperparameters
    hardware: HardwareProfile
    metrics: MetricSink
    options: Mapping[str, Any] = field(default_factory=dict)
    target: Optional[Target] = None
    show_progress: bool = True
    phases: Optional[PhaseRecorder] = None
    telemetry: Optional[TelemetryControl] = None  # pause()/resume()/monitor()/record_flops(); None: telemetry off
    bench_args: Mapping[str, Any] = field(default_factory=dict)  # benchmark.bench_args (SciMLBench benchmarks)
    models: Optional[ModelRecorder] = None  # None: no MLflow model (tests' contexts, DDP ranks)

    @classmethod
    def for_tests(cls, data_dir: Path, output_dir: Path, metrics: MetricSink, benchmark: str = "test",
                  mode: str = "train", **changes: Any) -> "RunContext":
        """A CPU context with small defaults in one call (tests and notebooks); ``changes`` set any field,
        ``hparams`` fields included (``epochs=2``)."""
        hp_names = set(Hyperparameters.__dataclass_fields__)
        hp = {"epochs": 2, "batch_size": 16, "learning_rate": 1e-3, "weight_decay": 0.0, "optimizer": "adamw",
              "early_stopping_patience": 0, "validation_fraction": 0.15}
        hp.update({k: changes.pop(k) for k in list(changes) if k in hp_names})
        fields: dict = {
            "benchmark": benchmark, "mode": mode, "data_dir": Path(data_dir), "output_dir": Path(output_dir),
            "model_dir": Path(output_dir) / "model", "device": "cpu", "seed": 0, "scale": "tiny", "model": "small",
            "hparams": Hyperparameters(**hp), "hardware": HardwareProfile("cpu", "cpu", 1, 1, "fp32", {}, None, 0),
            "metrics": metrics, "show_progress": False,
        }
        fields.update(changes)
        return cls(**fields)

    @property
    def artifacts_dir(self) -> Path:
        """Files written here are logged as run artifacts after the entry point returns."""
        path = self.output_dir / "artifacts"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def phase(self, name: str) -> contextlib.AbstractContextManager[None]:
        """Time an application phase: ``with ctx.phase("training"): ...``."""
        if self.phases is None:
            return contextlib.nullcontext()
        return self.phases.phase(name)

    def monitor(self, region: str) -> contextlib.AbstractContextManager[None]:
        """Sample system metrics inside the block (even with ``telemetry.autostart: false``) and time it
        as a phase: ``with ctx.monitor("solver"): ...``."""
        if self.telemetry is None:
            return self.phase(region)
        return self.telemetry.monitor(region)

    def log_model(self, module: Any, input_example: Any) -> None:
        """Hand the trained ``torch.nn.Module`` to the framework, with a small batch of real inputs (one or
        two samples, as the module takes them): after the entry point returns it is logged as the run's MLflow
        model (``mlflow.pytorch``, signature inferred from the example), listed in MLflow's Models column.
        The benchmark's own files in ``model_dir`` are kept too (its metadata: label names, normalisation)."""
        if self.models is not None:
            self.models.log(module, input_example)

    def load_model(self) -> Optional[Any]:
        """Inference: the trained module, loaded with ``mlflow.pytorch.load_model`` on ``device``; None when
        the training run logged no MLflow model (older runs: the benchmark loads its raw files)."""
        return self.models.load(self.device) if self.models is not None else None

    def progress(self, iterable: Iterable[T], total: Optional[int] = None, description: str = "") -> Iterator[T]:
        """Wrap an iterable in a rich progress bar (one per epoch), or pass it through when disabled."""
        if not self.show_progress:
            yield from iterable
            return
        from rich.progress import Progress  # imported lazily: rich's import is not free

        with Progress(transient=False) as bar:
            yield from bar.track(iterable, total=total, description=description)


def make_hyperparameters(training: Any) -> Hyperparameters:
    """Build the frozen hyperparameters from a TrainingConfig (or any object with those attributes)."""
    names = Hyperparameters.__dataclass_fields__.keys()
    return Hyperparameters(**{n: getattr(training, n) for n in names})

