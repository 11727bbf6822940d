"""Typed schemas for every config group.

Hydra validates composed YAML against these dataclasses, so an unknown key or a value of the wrong
type fails *before* anything runs, with Hydra's own message.  YAML files carry values only and extend
a schema explicitly through their defaults list (``- /schema/benchmark@_here_``-style, see conf/).
Fields marked ``MISSING`` must be provided by the YAML card.

Hydra checks types only, so every field also carries its *domain* (``field(metadata={"domain": ...})``,
built by ``positive``/``fraction``/``one_of``...): ``check_config(cfg)`` walks the composed config against
these dataclasses before any run exists and refuses, in one message, every value outside its domain and
every key no schema knows (Hydra lets ``+benchmark.training.nosuch=1`` through struct mode).
"""

from __future__ import annotations

import os
import typing
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any, Callable, Dict, List, Optional

from omegaconf import MISSING


@dataclass(frozen=True)
class Domain:
    """What a field accepts: a human description (used in the error message) and the test."""

    allowed: str
    accepts: Callable[[Any], bool]


def _domain(default: Any, allowed: str, accepts: Callable[[Any], bool]) -> Any:
    return field(default=default, metadata={"domain": Domain(allowed, lambda v: v is None or accepts(v))})


def positive(default: Any) -> Any:
    """An integer >= 1 (epochs, batch sizes, device counts)."""
    return _domain(default, "an integer >= 1", lambda v: isinstance(v, int) and v >= 1)


def non_negative(default: Any) -> Any:
    return _domain(default, "a number >= 0", lambda v: isinstance(v, (int, float)) and v >= 0)


def greater_than_zero(default: Any) -> Any:
    return _domain(default, "a number > 0", lambda v: isinstance(v, (int, float)) and v > 0)


def fraction(default: Any) -> Any:
    """Strictly between 0 and 1 (0 or 1 would leave one side of a split empty)."""
    return _domain(default, "a fraction strictly between 0 and 1", lambda v: isinstance(v, (int, float)) and 0 < v < 1)


def one_of(default: Any, *choices: str) -> Any:
    return _domain(default, "one of " + ", ".join(choices), lambda v: v in choices)


def seed_value(default: int) -> Any:
    """What numpy and torch both accept as a seed."""
    return _domain(default, "an integer in 0..4294967295 (2**32 - 1)", lambda v: isinstance(v, int) and 0 <= v < 2**32)


def existing_dir(default: Optional[str]) -> Any:
    """A folder that must already exist when set (a typo must not become a new, synthetic dataset)."""
    return _domain(default, "an existing folder (or null for the default data root)",
                   lambda v: os.path.isdir(os.path.expanduser(str(v))))


@dataclass
class DatasetRef:
    """Which dataset a benchmark reads, and at what scale."""

    name: str = MISSING  # dataset card name (e.g. dms_sim); cards live in conf/dataset/
    scale: str = "small"  # tiny (tests) | small (default CPU run) | full (real shapes)
    root: Optional[str] = existing_dir(None)  # override the data root; default: <checkout>/data or $SCIML_MLFLOW_HOME/data
    # data whose hash is not the dvc.lock record: False = an error; True = used, tagged as a distinct version
    accept_unrecorded: bool = False


@dataclass
class TrainingConfig:
    """Hyperparameters every reference training loop understands; rules (rules/) refer to these keys."""

    epochs: int = positive(10)  # passes over the training set
    batch_size: int = positive(32)  # per-device batch size
    learning_rate: float = greater_than_zero(1e-3)  # optimiser step size
    weight_decay: float = non_negative(0.0)  # L2 penalty (AdamW style)
    optimizer: str = one_of("adamw", "adam", "adamw", "sgd")  # adam | adamw | sgd
    early_stopping_patience: int = non_negative(0)  # epochs without validation improvement before stopping; 0 = off
    validation_fraction: float = fraction(0.1)  # share of the training split held out for validation


@dataclass
class TargetConfig:
    """The quality a run must reach to count as converged (MLPerf-style time-to-target)."""

    metric: str = MISSING  # science metric name as logged, e.g. val_accuracy
    value: float = MISSING  # threshold
    mode: str = one_of("max", "max", "min")  # max: metric >= value converges; min: metric <= value converges


@dataclass
class FlopsConfig:
    """FLOPs per sample of the card's model, as torch's FlopCounterMode counts them (matmuls and convolutions,
    2 per multiply-add; ``telemetry/flops.py``): ``train`` one forward + backward of a training sample (about
    3x the forward), ``inference`` one forward of the unit ``inference_rate`` counts.  The framework logs
    achieved FLOP/s and utilisation of the hardware's peak from them; tests/benchmarks/test_flops.py recounts
    them from the benchmark's ``flops.probe``."""

    model: str = MISSING  # the model variant the numbers are for; a run of another variant logs no FLOP/s
    train: Optional[float] = None  # FLOPs per training sample (the unit of train_throughput_samples_per_s)
    inference: Optional[float] = None  # FLOPs per inference sample (the unit of inference_rate)
    options: Dict[str, Any] = field(default_factory=dict)  # option values the numbers assume; others: no FLOP/s
    inference_rate: str = "inference_throughput_samples_per_s"  # the inference mode's throughput metric


@dataclass
class BenchmarkConfig:
    """A benchmark's config card: what it is, its data, model and hyperparameters."""

    name: str = MISSING  # folder name under benchmarks/
    description: str = ""  # one line for humans
    dataset: DatasetRef = field(default_factory=DatasetRef)
    model: str = "reference"  # model variant the benchmark's code knows (reference | small | ...)
    training: TrainingConfig = field(default_factory=TrainingConfig)
    target: Optional[TargetConfig] = None  # quality target; None when the card names none
    headline: List[str] = field(default_factory=list)  # metrics the console summary and report show first
    flops: Optional[FlopsConfig] = None  # FLOPs per sample (one number per mode); None: no FLOP/s logged
    options: Dict[str, Any] = field(default_factory=dict)  # benchmark-specific knobs (validated by the benchmark)
    bench_args: Dict[str, Any] = field(default_factory=dict)  # SciMLBench benchmark args (free-form; docs/scimlbench.md)


@dataclass
class TelemetryConfig:
    """What the system sampler measures on this hardware, and how often (see docs/telemetry.md)."""

    enabled: bool = True  # False: no sampler at all (phase times are still recorded)
    interval_s: float = greater_than_zero(1.0)  # seconds between samples; a final sample is always taken at run end
    collectors: List[str] = field(
        default_factory=lambda: ["cpu", "memory", "disk", "network", "gpu", "rapl"]
    )  # which collectors run (sciml_mlflow/telemetry/collectors/<name>.py)
    autostart: bool = True  # False: sample only inside ctx.monitor(...) regions / between resume() and pause()


@dataclass
class HardwareConfig:
    """A hardware profile: what the run expects to execute on, with datasheet figures."""

    name: str = MISSING  # profile id (cpu, a100, ...)
    description: str = ""  # human description of the part
    accelerator: str = one_of("cpu", "cpu", "cuda")  # cpu | cuda
    match: Optional[str] = None  # substring of the detected GPU name (or 'cpu') that identifies this part
    device_count: int = positive(1)  # devices per node the run uses
    nodes: int = positive(1)  # nodes the run spans
    precision: str = one_of("fp32", "fp32", "tf32", "bf16", "fp16")  # fp32 | tf32 | bf16 | fp16
    peak_flops: Dict[str, float] = field(default_factory=dict)  # per-device dense peak FLOP/s by precision (datasheet)
    tdp_watts: Optional[float] = greater_than_zero(None)  # per-device thermal design power, from the datasheet
    memory_gb: Optional[float] = greater_than_zero(None)  # per-device memory
    dataloader_workers: int = non_negative(0)  # torch DataLoader worker processes
    channels_last: bool = False  # NHWC memory layout for image batches on a GPU (sciml_mlflow.training)
    compile: bool = False  # torch.compile the training model (sciml_mlflow.training.fit)
    telemetry: TelemetryConfig = field(default_factory=TelemetryConfig)  # system sampler (sciml_mlflow.telemetry)


@dataclass
class RulesConfig:
    """Which ruleset governs the run (the rule machinery lives in sciml_mlflow.rules)."""

    division: str = one_of("open", "open", "closed")  # open | closed
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
    max_restarts: int = non_negative(0)  # elastic restarts of the worker group after a failure


@dataclass
class TrackingConfig:
    """Where runs are recorded."""

    uri: str = MISSING  # MLflow tracking URI (sqlite:///..., http://...)
    artifact_root: Optional[str] = None  # artifact location for new experiments (None: the server decides)
    experiment_prefix: str = ""  # experiments are named <benchmark>, or <prefix>/<benchmark> when set
    heartbeat_s: float = greater_than_zero(60.0)  # seconds between heartbeats (tag sciml.heartbeat), see runs reconcile
    stale_after_s: float = greater_than_zero(900.0)  # a RUNNING run silent this long is lost (ended FAILED at run start)
    max_param_length: int = positive(6000)  # params longer than this go to params_long.yaml instead of being truncated


@dataclass
class Config:
    """The composed configuration of one benchmark run."""

    benchmark: BenchmarkConfig = MISSING
    hardware: HardwareConfig = MISSING
    rules: RulesConfig = MISSING
    tracking: TrackingConfig = MISSING
    mode: str = "train"  # train | inference (domain checked by core.registry, which names the benchmark)
    seed: int = seed_value(42)  # global seed (torch, numpy, python)
    model_uri: Optional[str] = None  # inference: a run id or MLflow model URI; None = latest trained model
    run_name: Optional[str] = None  # MLflow run name; None = benchmark, differing overrides, seed (tracking/run_name.py)
    tags: Dict[str, str] = field(default_factory=dict)  # extra tags to put on the run
    progress: bool = True  # rich progress bar per epoch
    summary: str = one_of("headline", "headline", "all")  # end-of-run console summary: headline (card's metrics + target) | all
    distributed: DistributedConfig = field(default_factory=DistributedConfig)  # DDP launch (docs/sweeps.md)


#: Keys every composed config may hold beyond its schema (Hydra's own node when composed with it).
_FREE_TOP_LEVEL = {"hydra"}


def check_config(cfg: Any) -> None:
    """Raise ConfigError naming every key whose value is outside its domain, and every unknown key.

    Called before any run exists (``run.prepare``); the message says the key, the value, what is allowed
    and what to do, so a user error never needs a traceback.
    """
    from sciml_mlflow.errors import ConfigError

    problems: List[str] = []
    _check_node(Config, cfg, "", problems)
    if problems:
        raise ConfigError("invalid configuration, nothing was run or recorded:\n  - " + "\n  - ".join(problems)
                          + "\nfix the value on the command line (key=value) or in the YAML card that sets it; "
                          "`python -m sciml_mlflow --cfg job` shows the composed config")


def _check_node(schema: type, node: Any, path: str, problems: List[str]) -> None:
    from omegaconf import DictConfig

    if not isinstance(node, (DictConfig, dict)):
        return
    hints = typing.get_type_hints(schema)
    known = {f.name for f in fields(schema)}
    for key in node.keys():
        if str(key) not in known and not (not path and str(key) in _FREE_TOP_LEVEL):
            problems.append(f"{path}{key}: unknown key (added with '+'?); {schema.__name__} knows "
                            f"{', '.join(sorted(known))}; remove it or fix its spelling")
    for f in fields(schema):
        key = f"{path}{f.name}"
        try:
            value = node.get(f.name)
        except Exception:  # missing or unresolvable: Hydra reports those itself
            continue
        sub = _dataclass_of(hints.get(f.name))
        if sub is not None and value is not None:
            _check_node(sub, value, key + ".", problems)
            continue
        domain = f.metadata.get("domain")
        if domain is not None and not domain.accepts(value):
            problems.append(f"{key}={value!r} is not allowed: expected {domain.allowed}")


def _dataclass_of(hint: Any) -> Optional[type]:
    """The dataclass behind ``X`` or ``Optional[X]`` (None for plain, list and dict types)."""
    if is_dataclass(hint):
        return hint  # type: ignore[return-value]
    for arg in typing.get_args(hint):
        if is_dataclass(arg):
            return arg  # type: ignore[return-value]
    return None


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
    "check_config",
]
