"""``run_benchmark(cfg)``: the importable function the CLI wraps (tests call it with composed configs).

1. ``prepare``: everything that can be refused is checked before a run exists;
2. ``start``: the run starts, its identity (tags) written first;
3. ``execute``: params/config, data staging, the entry point inside the telemetry session, outputs;
4. ``finish_run``: whatever happens, metrics are flushed and the run ends FINISHED, FAILED (traceback
   artifact) or KILLED (Ctrl-C) — never left RUNNING.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Mapping, Optional, Sequence

from omegaconf import DictConfig

from sciml_mlflow.run.lifecycle import execute, finish_run, start
from sciml_mlflow.run.prepare import prepare
from sciml_mlflow.core import signals
from sciml_mlflow.run.record import record_traceback, tag_quietly
from sciml_mlflow.run.result import RunResult

log = logging.getLogger(__name__)


def run_benchmark(cfg: DictConfig, output_dir: Optional[Path] = None, overrides: Sequence[str] = (),
                  extra_tags: Optional[Mapping[str, str]] = None) -> RunResult:
    """Run ``cfg.benchmark`` in ``cfg.mode`` as one MLflow run and return its identity and status.

    ``extra_tags`` come from the framework, not the user (sweep/study membership, ``mlflow.parentRunId``).
    Raises ConfigError-family errors before any run exists; errors raised *inside* the benchmark are
    recorded on the run (FAILED + traceback) and re-raised.
    """
    prepared = prepare(cfg, output_dir)
    started = start(prepared, extra_tags, overrides)
    status, error = "FINISHED", None
    try:
        execute(prepared, started, overrides)
    except KeyboardInterrupt as exc:
        status, error = "KILLED", exc
        log.error("run %s interrupted: ending it KILLED", started.run_id)
        tag_quietly(prepared.client, started.run_id, "reason", signals.reason_of(exc))  # why it was KILLED
    except BaseException as exc:  # noqa: BLE001 - recorded, then re-raised
        status, error = "FAILED", exc
        record_traceback(prepared.client, started.run_id, exc)
    finally:
        result = finish_run(prepared, started, status, error)
    if result.error is not None:
        raise result.error
    return result
