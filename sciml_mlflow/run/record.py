"""What a run writes about itself: identity tags, params and config, its dataset, and a traceback."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Sequence

import yaml
from omegaconf import OmegaConf

from sciml_mlflow.core.resources import checkout_root
from sciml_mlflow.tracking.params import to_params
from sciml_mlflow.tracking.redact import redact, redact_mapping, redact_text, redact_uri, redact_value

log = logging.getLogger(__name__)


def identity_tags(cfg: Any, prepared: Any, extra_tags: Optional[Mapping[str, str]]) -> Dict[str, str]:
    """The run's tags at start: user tags first, so the framework's own keys cannot be overwritten."""
    from sciml_mlflow.tracking import provenance

    check = prepared.hardware
    tags: Dict[str, str] = {
        **{str(k): str(redact_value(str(k), v)) for k, v in cfg.tags.items()},
        "benchmark": prepared.spec.name,
        "mode": cfg.mode,
        "hardware": check.profile.name,
        "hardware.detected": check.profile.detected,
        "hardware.mismatch": str(check.mismatch).lower(),
        "host": check.machine.host,
        "seed": str(cfg.seed),
        "dataset.name": cfg.benchmark.dataset.name,
        "dataset.scale": cfg.benchmark.dataset.scale,
        **provenance.git_state(checkout_root()),
        **provenance.versions(),
        **prepared.compliance.tags,
        **dict(extra_tags or {}),
    }
    if check.reason:
        tags["hardware.mismatch_reason"] = check.reason
    tags = {k: str(redact(v, k)) for k, v in tags.items()}  # no secret in any tag, by key name or value shape
    source = prepared.model_source
    if source is not None:
        tags["training_run_id"] = source.training_run_id or "external"
        tags["model_uri"] = source.uri
        tags["mlflow.note.content"] = (f"Inference with the model of training run {source.training_run_id} "
                                       f"({source.uri}).")
    return tags


def record_identity(client: Any, run_id: str, cfg: Any, overrides: Sequence[str], out: Path, compliance: Any) -> None:
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
    (cfg_dir / "overrides.yaml").write_text(yaml.safe_dump([redact_override(o) for o in overrides]))
    if long_values:
        (cfg_dir / "params_long.yaml").write_text(yaml.safe_dump(long_values, width=10**9))
    for name, text in compliance.artifacts.items():
        (cfg_dir / name).write_text(redact_text(text))  # redacted like every artifact
    client.log_artifacts(run_id, str(cfg_dir), "config")


def redact_override(override: str) -> str:
    key, sep, value = override.partition("=")
    return f"{key}{sep}{redact_value(key, value)}" if sep else override


def record_dataset(client: Any, run_id: str, staged: Any, context: str = "train") -> None:
    """Dataset tags (source redacted, path, DVC digest) and MLflow's dataset input."""
    from mlflow.entities import RunTag

    from sciml_mlflow.data.record import log_dataset_input  # MLflow dataset input: name, DVC digest, source

    tags = {"dataset.source": redact_uri(str(staged.source)), "dataset.path": str(staged.path), **staged.tags}
    if staged.digest:
        tags["dataset.digest"] = staged.digest
    client.log_batch(run_id, tags=[RunTag(k, str(v)) for k, v in tags.items()], synchronous=True)
    log_dataset_input(client, run_id, staged, context)


def record_traceback(client: Any, run_id: str, exc: BaseException) -> None:
    """The ``error`` tag first, then the traceback where it fits (tracking.failure); never masks ``exc``."""
    from sciml_mlflow.tracking.failure import record_failure

    record_failure(client, run_id, exc)


def tag_quietly(client: Any, run_id: str, key: str, value: str) -> None:
    """A tag written while the run is ending: a failure is logged, never raised (the run must still end)."""
    try:
        client.set_tag(run_id, key, value)
    except Exception as exc:
        log.error("could not tag run %s with %s: %s", run_id, key, exc)
