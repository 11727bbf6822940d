"""Typed schemas for every config group.

Hydra validates composed YAML against these dataclasses, so an unknown key or a value of the wrong
type fails *before* anything runs, with Hydra's own message.  YAML files carry values only and extend
a schema explicitly through their defaults list (``- /schema/benchmark@_here_``-style, see conf/).
Fields marked ``MISSING`` must be provided by the YAML card.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from omegaconf import MISSING


@dataclass
class DatasetRef:
    """Which dataset a benchmark reads, and at what scale."""

    name: str = MISSING  # dataset card name (e.g. dms_sim); cards live in conf/dataset/
    scale: str = "small"  # tiny (tests) | small (default CPU run) | full (real shapes)
    root: Optional[str] = None  # override the data root; default: <checkout>/data or $SCIML_MLFLOW_HOME/data


@dataclass
class TrainingConfig:
    """Hyperparameters every reference training loop understands; rules (rules/) refer to these keys."""

    epochs: int = 10  # passes over the training set
    batch_size: int = 32  # per-device batch size
    learning_rate: float = 1e-3  # optimiser step size
    weight_decay: float = 0.0  # L2 penalty (AdamW style)
    optimizer: str = "adamw"  # adam | adamw | sgd
    early_stopping_patience: int = 0  # epochs without validation improvement before stopping; 0 = off
    validation_fraction: float = 0.1  # share of the training split held out for validation


@dataclass
class TargetConfig:
    """The quality a run must reach to count as converged (MLPerf-style time-to-target)."""

    metric: str = MISSING  # science metric name as logged, e.g. val_accuracy
    value: float = MISSING  # threshold
    mode: str = "max"  # max: metric >= value converges; min: metric <= value converges


@dataclass
class BenchmarkConfig:
    """A benchmark's config card: what it is, its data, model and hyperparameters."""

    name: str = MISSING  # folder name under benchmarks/
    description: str = ""  # one line for humans
    dataset: DatasetRef = field(default_factory=DatasetRef)
    model: str = "reference"  # model variant the benchmark's code knows (reference | small | ...)
    training: TrainingConfig = field(default_factory=TrainingConfig)
    target: Optional[TargetConfig] = None  # quality target; None when the card names none
    options: Dict[str, Any] = field(default_factory=dict)  # benchmark-specific knobs (validated by the benchmark)


@dataclass
class TelemetryConfig:
    """What the system sampler measures on this hardware, and how often (see docs/telemetry.md)."""

    enabled: bool = True  # False: no sampler at all (phase times are still recorded)
    interval_s: float = 1.0  # seconds between samples; a final sample is always taken at run end
    collectors: List[str] = field(
        default_factory=lambda: ["cpu", "memory", "disk", "network", "gpu", "rapl"]
    )  # which collectors run (sciml_mlflow/telemetry/collectors/<name>.py)
    autostart: bool = True  # False: sample only inside ctx.monitor(...) regions / between resume() and pause()


@dataclass
class HardwareConfig:
    """A hardware profile: what the run expects to execute on, with datasheet figures."""

    name: str = MISSING  # profile id (cpu, a100, ...)
    description: str = ""  # human description of the part
    accelerator: str = "cpu"  # cpu | cuda
    match: Optional[str] = None  # substring of the detected GPU name (or 'cpu') that identifies this part
    device_count: int = 1  # devices per node the run uses
    nodes: int = 1  # nodes the run spans
    precision: str = "fp32"  # fp32 | tf32 | bf16 | fp16
    peak_flops: Dict[str, float] = field(default_factory=dict)  # per-device dense peak FLOP/s by precision (datasheet)
    tdp_watts: Optional[float] = None  # per-device thermal design power, from the datasheet
    memory_gb: Optional[float] = None  # per-device memory
    dataloader_workers: int = 0  # torch DataLoader worker processes
    channels_last: bool = False  # NHWC memory layout for image batches on a GPU (sciml_mlflow.training)
    compile: bool = False  # torch.compile the training model (sciml_mlflow.training.fit)
    telemetry: TelemetryConfig = field(default_factory=TelemetryConfig)  # system sampler (sciml_mlflow.telemetry)


@dataclass
class RulesConfig:
    """Which ruleset governs the run (the rule machinery lives in sciml_mlflow.rules)."""

    division: str = "open"  # open | closed
    ruleset: str = "open"  # ruleset id
    version: str = "1.0"  # ruleset version pinned on every run
    enforce: bool = True  # refuse a non-compliant run (closed); False runs it and tags it non-compliant
    table_dir: Optional[str] = None  # folder of per-benchmark rule tables; None: conf/ruletables/ (+ collections)
    require_table: bool = True  # closed: a benchmark without a rule table is a violation
    mllog: bool = False  # also write an MLPerf :::MLLOG log as artifact mlperf/result.txt after the run
    mllog_org: str = "sciml_mlflow"  # submission_org written into the MLLOG log


@dataclass
class DistributedConfig:
    """Multi-process (DDP) execution through torch's elastic launcher (sciml_mlflow.distributed)."""

    enabled: Optional[bool] = None  # None: on when hardware.device_count > 1 or hardware.nodes > 1 (train mode)
    backend: Optional[str] = None  # torch.distributed backend; None: nccl on CUDA, gloo on CPU
    rdzv_endpoint: Optional[str] = None  # host:port of node 0 for multi-node runs; None: SLURM's first node
    max_restarts: int = 0  # elastic restarts of the worker group after a failure


@dataclass
class TrackingConfig:
    """Where runs are recorded."""

    uri: str = MISSING  # MLflow tracking URI (sqlite:///..., http://...)
    artifact_root: Optional[str] = None  # artifact location for new experiments (None: the server decides)
    experiment_prefix: str = ""  # experiments are named <benchmark>, or <prefix>/<benchmark> when set
    max_param_length: int = 6000  # params longer than this go to params_long.yaml instead of being truncated


@dataclass
class Config:
    """The composed configuration of one benchmark run."""

    benchmark: BenchmarkConfig = MISSING
    hardware: HardwareConfig = MISSING
    rules: RulesConfig = MISSING
    tracking: TrackingConfig = MISSING
    mode: str = "train"  # train | inference
    seed: int = 42  # global seed (torch, numpy, python)
    model_uri: Optional[str] = None  # inference: a run id or MLflow model URI; None = latest trained model
    run_name: Optional[str] = None  # MLflow run name; None = <benchmark>-<mode>-<hardware>
    tags: Dict[str, str] = field(default_factory=dict)  # extra tags to put on the run
    progress: bool = True  # rich progress bar per epoch
    distributed: DistributedConfig = field(default_factory=DistributedConfig)  # DDP launch (docs/sweeps.md)


def register_schemas() -> None:
    """Register the schemas in Hydra's ConfigStore so YAML cards can extend them."""
    from hydra.core.config_store import ConfigStore

    cs = ConfigStore.instance()
    cs.store(name="config_schema", node=Config)
    cs.store(group="schema", name="benchmark", node=BenchmarkConfig)
    cs.store(group="schema", name="hardware", node=HardwareConfig)
    cs.store(group="schema", name="rules", node=RulesConfig)
    cs.store(group="schema", name="tracking", node=TrackingConfig)


__all__: List[str] = [
    "Config",
    "BenchmarkConfig",
    "DatasetRef",
    "TrainingConfig",
    "TargetConfig",
    "HardwareConfig",
    "TelemetryConfig",
    "RulesConfig",
    "TrackingConfig",
    "DistributedConfig",
    "register_schemas",
]
