"""What a run writes about itself: identity tags, params and config, its dataset, and a traceback."""

from __future__ import annotations

import logging
import tempfile
import traceback
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Sequence

import yaml
from omegaconf import OmegaConf

from sciml_mlflow.core.resources import checkout_root
from sciml_mlflow.tracking.params import to_params
from sciml_mlflow.tracking.redact import redact_mapping, redact_uri, redact_value

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
        (cfg_dir / name).write_text(text)
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
    """``error/traceback.txt`` and an ``error`` tag; never masks the original error."""
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    log.error("benchmark raised %s: %s (run %s ends FAILED; traceback in artifact error/traceback.txt)",
              type(exc).__name__, exc, run_id)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            p = Path(tmp) / "traceback.txt"
            p.write_text(text)
            client.log_artifact(run_id, str(p), "error")
        client.set_tag(run_id, "error", f"{type(exc).__name__}: {str(exc)[:500]}")
    except Exception as inner:
        log.error("could not record the traceback on run %s: %s", run_id, inner)
