"""Run one benchmark as one MLflow run.

``run_benchmark(cfg)`` is the importable function the CLI wraps (tests call it with configs composed
through Hydra's Compose API).  Order matters and is deliberate:

1. everything that can be refused is checked *before* a run exists (benchmark, mode, rules, store);
2. the run starts, its identity (params, config, tags) is written first;
3. data is staged and the entry point runs inside the telemetry session;
4. whatever happens, buffered metrics are flushed and the run ends FINISHED, FAILED (traceback
   artifact) or KILLED (Ctrl-C) — never left RUNNING.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence

import yaml
from omegaconf import DictConfig, OmegaConf

from sciml_mlflow.config.schema import check_config
from sciml_mlflow.core import registry, signals
from sciml_mlflow.core.context import HardwareProfile, RunContext, Target, _SimplePhases, make_hyperparameters
from sciml_mlflow.core.resources import checkout_root
from sciml_mlflow.errors import ConfigError
from sciml_mlflow.hardware.detect import compare, detect_machine, load_profile_matches, match_profile
from sciml_mlflow.tracking import store
from sciml_mlflow.training.seeding import seed_everything
from sciml_mlflow.tracking.params import to_params
from sciml_mlflow.tracking.redact import redact, redact_mapping, redact_text, redact_value

log = logging.getLogger(__name__)


@dataclass
class RunResult:
    """What a finished (or failed) run left in the store."""

    run_id: str
    experiment_id: str
    status: str
    tracking_uri: str
    metrics: Dict[str, float] = field(default_factory=dict)
    error: Optional[BaseException] = None


def resolve_hardware(cfg: DictConfig) -> tuple[HardwareProfile, Optional[str], Any]:
    """The configured profile with what was detected, the mismatch explanation (or None), and the machine."""
    from sciml_mlflow.core.resources import config_dir

    machine = detect_machine()
    detected = match_profile(machine, load_profile_matches(config_dir() / "hardware"))
    hw = cfg.hardware
    reason = compare(hw.name, hw.accelerator, hw.match, hw.device_count, machine, detected)
    profile = HardwareProfile(
        name=hw.name, accelerator=hw.accelerator, device_count=hw.device_count, nodes=hw.nodes,
        precision=hw.precision, peak_flops=dict(hw.peak_flops), tdp_watts=hw.tdp_watts,
        dataloader_workers=hw.dataloader_workers, detected=detected, mismatch=reason is not None,
    )
    return profile, reason, machine


def select_device(profile: HardwareProfile) -> str:
    """``cuda`` when the profile wants it and torch sees one; otherwise ``cpu`` (with a warning)."""
    if profile.accelerator == "cuda":
        import torch

        if torch.cuda.is_available():
            return "cuda"
        log.warning("profile %r wants CUDA but none is available: running on the CPU", profile.name)
    return "cpu"


def _announce_mismatch(reason: str) -> None:
    """Loud, but not fatal under open rules: the run goes on and the mismatch is tagged."""
    log.warning("HARDWARE MISMATCH: %s. The run continues on this machine and is tagged "
                "hardware.mismatch=true; results are NOT representative of the configured profile.", reason)


def run_benchmark(cfg: DictConfig, output_dir: Optional[Path] = None, overrides: Sequence[str] = (),
                  extra_tags: Optional[Mapping[str, str]] = None) -> RunResult:
    """Run ``cfg.benchmark`` in ``cfg.mode`` as one MLflow run and return its identity and status.

    ``extra_tags`` come from the framework, not the user (sweep/study membership, ``mlflow.parentRunId``).

    Raises ConfigError-family errors before any run exists; errors raised *inside* the benchmark are
    recorded on the run (FAILED + traceback) and re-raised.
    """
    # 1. refuse early -------------------------------------------------------------------------
    spec = registry.get(cfg.benchmark.name)  # unknown benchmark / a mode it lacks: said first
    entry = spec.entry_point(cfg.mode)
    check_config(cfg)  # issue-17 hook: value domains and unknown keys, before any run exists
    profile, mismatch, machine = resolve_hardware(cfg)
    if mismatch:
        _announce_mismatch(mismatch)
    from sciml_mlflow import rules

    compliance = rules.precheck(cfg, profile, mismatch)
    client = store.connect(cfg.tracking.uri)
    prefix = cfg.tracking.experiment_prefix
    exp_name = f"{prefix}/{spec.name}" if prefix else spec.name
    # A server decides its own artifact store (--serve-artifacts); a local root only makes sense for SQLite.
    remote = str(cfg.tracking.uri).startswith(("http://", "https://"))
    exp_id = store.ensure_experiment(client, exp_name, None if remote else cfg.tracking.artifact_root)
    model_source = None
    if cfg.mode == "inference":
        from sciml_mlflow.tracking.models import resolve_model

        model_source = resolve_model(client, exp_id, cfg.model_uri)

    out = Path(output_dir) if output_dir else Path(tempfile.mkdtemp(prefix=f"sciml-{spec.name}-"))
    out.mkdir(parents=True, exist_ok=True)
    model_dir = Path(tempfile.mkdtemp(prefix=f"sciml-{spec.name}-model-"))  # i12 hook: no model copy in out/

    # 2. start the run and record its identity -------------------------------------------------
    import mlflow

    from sciml_mlflow.tracking import provenance

    from sciml_mlflow.tracking.run_name import run_name_for  # i12 hook: names tell runs apart

    run_name = cfg.run_name or run_name_for(spec.name, cfg.mode, int(cfg.seed), overrides)  # i12 hook
    tags: Dict[str, str] = {
        # user tags first: the framework's own keys below cannot be overwritten from the command line
        **{str(k): str(redact_value(str(k), v)) for k, v in cfg.tags.items()},
        "benchmark": spec.name,
        "mode": cfg.mode,
        "hardware": profile.name,
        "hardware.detected": profile.detected,
        "hardware.mismatch": str(profile.mismatch).lower(),
        "host": machine.host,
        "seed": str(cfg.seed),
        "dataset.name": cfg.benchmark.dataset.name,
        "dataset.scale": cfg.benchmark.dataset.scale,
        **provenance.git_state(checkout_root()),
        **provenance.versions(),
        **compliance.tags,
        **dict(extra_tags or {}),
    }
    if mismatch:
        tags["hardware.mismatch_reason"] = mismatch
    tags = {k: str(redact(v, k)) for k, v in tags.items()}  # issue-17 hook: no secret in any tag
    if model_source is not None:
        tags["training_run_id"] = model_source.training_run_id or "external"
        tags["model_uri"] = model_source.uri
        tags["mlflow.note.content"] = (f"Inference with the model of training run {model_source.training_run_id} "
                                       f"({model_source.uri}).")
    from sciml_mlflow import telemetry

    from sciml_mlflow.tracking import reconcile  # issue-17 hook: end zombie runs of this store (cheap)

    reconcile.at_run_start(client, cfg.tracking.stale_after_s)  # issue-17 hook
    active = mlflow.start_run(experiment_id=exp_id, run_name=run_name, tags=tags,
                              **telemetry.start_run_kwargs(cfg))
    run_id = active.info.run_id
    t_start = time.perf_counter()
    from sciml_mlflow.tracking.metric_buffer import MetricLogger

    metrics = MetricLogger.for_run(client, run_id, cfg.tracking.heartbeat_s)  # issue-17 hook: journal + heartbeat
    status, error = "FINISHED", None
    try:
        _record_identity(client, run_id, cfg, overrides, out, compliance)
        session = telemetry.session(cfg, client, run_id, metrics, profile, machine)
        with session:
            phases = session.phases if getattr(session, "phases", None) is not None else _SimplePhases(metrics)
            with phases.phase("data_staging"):
                from sciml_mlflow.data.staging import stage_dataset

                staged = stage_dataset(spec, cfg.benchmark.dataset.name, cfg.benchmark.dataset.scale,
                                       cfg.benchmark.dataset.root,
                                       bool(cfg.benchmark.dataset.get("accept_unrecorded", False)))
            _record_dataset(client, run_id, staged, cfg.mode)
            if model_source is not None:
                model_source.download(model_dir)
            tgt = cfg.benchmark.target
            ctx = RunContext(
                benchmark=spec.name, mode=cfg.mode, data_dir=staged.path, output_dir=out, model_dir=model_dir,
                device=select_device(profile), seed=int(cfg.seed), scale=cfg.benchmark.dataset.scale,
                model=cfg.benchmark.model, hparams=make_hyperparameters(cfg.benchmark.training),
                hardware=profile, metrics=metrics,
                options=OmegaConf.to_container(cfg.benchmark.options, resolve=True),  # type: ignore[arg-type]
                target=Target(tgt.metric, float(tgt.value), tgt.mode) if tgt is not None else None,
                show_progress=bool(cfg.progress), phases=phases,
                telemetry=getattr(session, "control", None),
                bench_args=OmegaConf.to_container(cfg.benchmark.bench_args, resolve=True),  # type: ignore[arg-type]
            )
            seed_everything(int(cfg.seed))
            getattr(session, "start_clock", lambda: None)()  # run_start: staging is not time-to-train
            entry(ctx)
            with phases.phase("writing_outputs"):
                from sciml_mlflow.tracking.artifacts import log_artifacts_or_clean  # issue-17 hook

                if cfg.mode == "train" and any(model_dir.iterdir()):
                    log_artifacts_or_clean(client, run_id, str(model_dir), "model")  # issue-17 hook
                art = out / "artifacts"
                if art.is_dir() and any(art.iterdir()):
                    log_artifacts_or_clean(client, run_id, str(art), "outputs")  # issue-17 hook
    except KeyboardInterrupt as exc:
        status, error = "KILLED", exc
        log.error("run %s interrupted: ending it KILLED", run_id)
        _tag_quietly(client, run_id, "reason", signals.reason_of(exc))  # issue-17 hook: why it was KILLED
    except BaseException as exc:  # noqa: BLE001 - recorded, then re-raised
        status, error = "FAILED", exc
        _log_traceback(client, run_id, exc)
    finally:
        metrics.log("time/total_s", time.perf_counter() - t_start)
        try:
            metrics.close()
        except Exception as exc:  # the run must still end
            log.error("final metric flush of run %s failed: %s", run_id, exc)
            if status == "FINISHED":
                status, error = "FAILED", exc
        rules.after_run(cfg, client, run_id, status)  # MLLOG log from the store's history; never raises
        mlflow.end_run(status=status)
        shutil.rmtree(model_dir, ignore_errors=True)  # i12 hook: the model lives in MLflow only
    result = RunResult(run_id, exp_id, status, cfg.tracking.uri, metrics.latest_all, error)
    if error is not None:
        raise error
    return result


def _record_identity(client: Any, run_id: str, cfg: DictConfig, overrides: Sequence[str], out: Path,
                     compliance: Any) -> None:
    """Params (flattened, redacted, never truncated), the composed config and overrides as YAML."""
    from mlflow.entities import Param

    container = redact_mapping(OmegaConf.to_container(cfg, resolve=True))
    params, long_values = to_params(container, cfg.tracking.max_param_length)
    items = [Param(k, v) for k, v in sorted(params.items())]
    for i in range(0, len(items), 100):
        client.log_batch(run_id, params=items[i : i + 100], synchronous=True)
    cfg_dir = out / "config"
    cfg_dir.mkdir(exist_ok=True)
    (cfg_dir / "config.yaml").write_text(yaml.safe_dump(container, sort_keys=False))
    (cfg_dir / "overrides.yaml").write_text(yaml.safe_dump([_redact_override(o) for o in overrides]))
    if long_values:
        (cfg_dir / "params_long.yaml").write_text(yaml.safe_dump(long_values, width=10**9))
    for name, text in compliance.artifacts.items():
        (cfg_dir / name).write_text(redact_text(text))  # issue-17 hook: redacted like every artifact
    client.log_artifacts(run_id, str(cfg_dir), "config")


def _redact_override(override: str) -> str:
    key, sep, value = override.partition("=")
    return f"{key}{sep}{redact_value(key, value)}" if sep else override


def _record_dataset(client: Any, run_id: str, staged: Any, context: str = "train") -> None:
    from sciml_mlflow.tracking.redact import redact_uri

    tags = {"dataset.source": redact_uri(str(staged.source)), "dataset.path": str(staged.path), **staged.tags}
    if staged.digest:
        tags["dataset.digest"] = staged.digest
    from mlflow.entities import RunTag

    client.log_batch(run_id, tags=[RunTag(k, str(v)) for k, v in tags.items()], synchronous=True)
    from sciml_mlflow.data.record import log_dataset_input  # MLflow dataset input: name, DVC digest, source

    log_dataset_input(client, run_id, staged, context)


def _log_traceback(client: Any, run_id: str, exc: BaseException) -> None:
    from sciml_mlflow.tracking.failure import record_failure  # issue-17 hook: error tag first, traceback where it fits

    record_failure(client, run_id, exc)


def _tag_quietly(client: Any, run_id: str, key: str, value: str) -> None:  # issue-17 hook helper
    try:
        client.set_tag(run_id, key, value)
    except Exception as exc:  # the run must still end
        log.error("could not tag run %s with %s: %s", run_id, key, exc)


def compose_check(cfg: DictConfig) -> List[str]:
    """Validations Hydra's schema cannot express; returns problems (empty = fine)."""
    problems = []
    if cfg.mode not in registry.MODES:
        problems.append(f"mode={cfg.mode!r}: expected one of {', '.join(registry.MODES)}")
    return problems


__all__ = ["RunResult", "run_benchmark", "ConfigError"]
