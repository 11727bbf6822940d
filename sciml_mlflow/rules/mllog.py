"""MLPerf ``:::MLLOG`` log of a run, written through the mlperf-logging package.

Written after the run from what the tracking store holds (per-epoch history, params, tags), so
benchmarks stay unaware of MLPerf.  Times come from the metric timestamps: the training window starts
at ``first epoch's timestamp - its epoch_elapsed_s`` and each epoch ends when its metrics were logged.
The log is the artifact ``mlperf/result.txt``; ``mlperf_logging.compliance_checker.mlp_parser`` reads it.
"""

from __future__ import annotations

import io
import logging
import tempfile
from pathlib import Path
from typing import Any, Dict, List, Tuple

log = logging.getLogger(__name__)

ARTIFACT_DIR = "mlperf"
FILE_NAME = "result.txt"


def _history(client: Any, run_id: str, key: str) -> Dict[int, Tuple[float, int]]:
    """step -> (value, timestamp ms), last value per step."""
    return {m.step: (m.value, m.timestamp) for m in client.get_metric_history(run_id, key)}


def render(cfg: Any, client: Any, run_id: str, status: str) -> str:
    """The MLLOG text of ``run_id`` (one ``:::MLLOG {json}`` line per event)."""
    from mlperf_logging.mllog import constants as c
    from mlperf_logging.mllog.mllog import MLLogger

    buf = io.StringIO()
    logger = logging.getLogger(f"{__name__}.writer.{run_id}")  # private: never the package's global logger
    logger.propagate = False
    logger.setLevel(logging.INFO)
    handler = logging.StreamHandler(buf)
    logger.addHandler(handler)
    try:
        ml = MLLogger(logger=logger, default_stack_offset=1)
        run = client.get_run(run_id)
        t_init = int(run.info.start_time)
        tgt = cfg.benchmark.target
        metric = tgt.metric if tgt is not None else None
        elapsed = _history(client, run_id, "epoch_elapsed_s")
        evals = _history(client, run_id, metric) if metric else {}
        latest = run.data.metrics
        hp = cfg.benchmark.training
        for key, value in ((c.SUBMISSION_BENCHMARK, cfg.benchmark.name), (c.SUBMISSION_ORG, cfg.rules.mllog_org),
                           (c.SUBMISSION_DIVISION, cfg.rules.division), (c.SUBMISSION_STATUS, "research"),
                           (c.SUBMISSION_PLATFORM, cfg.hardware.name)):
            ml.event(key=key, value=value, time_ms=t_init)
        ml.start(key=c.INIT_START, time_ms=t_init)
        steps = sorted(elapsed)
        t_run = (elapsed[steps[0]][1] - int(elapsed[steps[0]][0] * 1000)) if steps else t_init
        ml.event(key=c.SEED, value=int(cfg.seed), time_ms=t_init)
        ml.event(key=c.GLOBAL_BATCH_SIZE, value=int(hp.batch_size) * int(cfg.hardware.device_count), time_ms=t_init)
        ml.event(key=c.OPT_NAME, value=str(hp.optimizer), time_ms=t_init)
        ml.event(key=c.OPT_BASE_LR, value=float(hp.learning_rate), time_ms=t_init)
        for key, name in ((c.TRAIN_SAMPLES, "train_samples"), (c.EVAL_SAMPLES, "val_samples")):
            if name in latest:
                ml.event(key=key, value=int(latest[name]), time_ms=t_init)
        ml.end(key=c.INIT_STOP, time_ms=t_run)
        ml.start(key=c.RUN_START, time_ms=t_run)
        prev, reached = t_run, False
        for step in steps:
            t_stop = elapsed[step][1]
            ml.start(key=c.EPOCH_START, metadata={c.EPOCH_NUM: step}, time_ms=prev)
            ml.end(key=c.EPOCH_STOP, metadata={c.EPOCH_NUM: step}, time_ms=t_stop)
            if step in evals:
                value, ts = evals[step]
                ml.event(key=c.EVAL_ACCURACY, value=float(value), metadata={c.EPOCH_NUM: step}, time_ms=ts)
                reached = reached or (value >= tgt.value if tgt.mode == "max" else value <= tgt.value)
            prev = t_stop
        outcome = c.SUCCESS if reached and status == "FINISHED" else c.ABORTED
        ml.end(key=c.RUN_STOP, metadata={c.STATUS: outcome}, time_ms=prev)
    finally:
        logger.removeHandler(handler)
    return buf.getvalue()


def log_mllog(cfg: Any, client: Any, run_id: str, status: str) -> str:
    """Render the log and attach it to the run as ``mlperf/result.txt``; returns the text."""
    text = render(cfg, client, run_id, status)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / FILE_NAME
        path.write_text(text)
        client.log_artifact(run_id, str(path), ARTIFACT_DIR)
    log.info("MLLOG log written to run %s as %s/%s", run_id, ARTIFACT_DIR, FILE_NAME)
    return text


def parse(text: str) -> Tuple[List[Any], List[Tuple[str, str]]]:
    """Parse with mlperf-logging's own parser: (log lines, failures)."""
    from mlperf_logging.compliance_checker.mlp_parser.ruleset_610 import parse_generator

    return parse_generator(io.StringIO(text))


__all__ = ["render", "log_mllog", "parse", "ARTIFACT_DIR", "FILE_NAME"]
