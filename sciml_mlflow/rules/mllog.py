"""MLPerf ``:::MLLOG`` log of a run, written through the mlperf-logging package.

Written after the run from what the tracking store holds, so benchmarks stay unaware of MLPerf.  Every
event carries the real time of the record it comes from:

- header (submission, seeds, hyperparameters, scale): the run's start (MLflow ``start_time``), when the
  run recorded its identity; ``init_start`` then too;
- ``staging_start``/``staging_stop``: the ``data_staging`` phase (its row, minus its duration);
- ``init_stop``/``run_start``: the tag ``time.run_start_ms`` (the benchmark's entry point);
- ``train_samples``/``eval_samples``: the rows of the benchmark's sample counts;
- epoch ``k``: from the end of epoch ``k-1`` (epoch 1: training start = its ``epoch_elapsed_s`` row minus
  the elapsed time) to the start of its evaluation; the evaluation ends at the row of the target metric
  (``eval_accuracy``) and starts ``system/time_validation_s``'s increment earlier when the benchmark times its
  validation as a phase -- otherwise eval_start = eval_stop (the loop records no evaluation start);
- ``run_stop``: the end of the evaluation that first reached the target (``success``; the same instant
  ``time_to_target_s`` counts to, sciml_mlflow.telemetry.target), else the last evaluation (``aborted``).
  Epochs after the target are not part of the timed MLPerf run and are left out of the log.

``cache_clear`` is logged with value ``False``: the framework does not drop the OS page cache (the
honest absence).  Paths are relative (``metadata.file`` is relative to the checkout).
The log is the artifact ``mlperf/result.txt``; it is checked with the official checker and our
per-benchmark configs (conf/mlperf/<benchmark>/, docs/rules.md).
"""

from __future__ import annotations

import io
import logging
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from sciml_mlflow.telemetry import target as target_def
from sciml_mlflow.tracking import metric_keys

log = logging.getLogger(__name__)

ARTIFACT_DIR = "mlperf"
FILE_NAME = "result.txt"
TRAIN_SAMPLE_KEYS = ("train_samples", "train_patches")  # first one a benchmark logs
EVAL_SAMPLE_KEYS = ("val_samples", "val_patches", "val_scenes")
VALIDATION_PHASE = metric_keys.VALIDATION_TIME  # optional: a benchmark timing its validation as a phase
PRECISIONS = {"fp64": "fp64", "fp32": "fp32", "tf32": "tf32", "fp16": "fp16", "bf16": "bfloat16",
              "bfloat16": "bfloat16", "fp8": "fp8"}

Point = target_def.Point


@dataclass
class _Event:
    time_ms: int
    kind: str  # start | end | event
    key: str
    value: Any = None
    metadata: Dict[str, Any] = field(default_factory=dict)


def _history(client: Any, run_id: str, key: str) -> List[Point]:
    return sorted((m.step, m.value, m.timestamp) for m in client.get_metric_history(run_id, key))


def _first_row(client: Any, run_id: str, keys: Sequence[str]) -> Optional[Point]:
    for key in keys:
        rows = _history(client, run_id, key)
        if rows:
            return rows[0]
    return None


def _per_step(points: Sequence[Point]) -> Dict[int, Point]:
    """Last row per step."""
    out: Dict[int, Point] = {}
    for p in sorted(points, key=lambda p: (p[0], p[2])):
        out[p[0]] = p
    return out


def events(cfg: Any, client: Any, run_id: str, status: str) -> List[_Event]:
    """The run's MLLOG events, in log order (by time; ties keep the logical order)."""
    from mlperf_logging.mllog import constants as c

    run = client.get_run(run_id)
    t_init = int(run.info.start_time)
    start_ms = target_def.run_start_ms(run.data.tags)
    if start_ms is None:
        raise ValueError(f"run {run_id} has no {target_def.RUN_START_TAG} tag (run_start); it was recorded before "
                         "the framework logged it: rerun it to get an MLLOG log")
    hp, hw = cfg.benchmark.training, cfg.hardware
    accelerators = int(hw.device_count) if str(hw.accelerator) != "cpu" else 0
    precision = PRECISIONS.get(str(hw.precision).lower(), "fp32")
    ev: List[_Event] = []
    add = lambda t, kind, key, value=None, **md: ev.append(_Event(int(t), kind, key, value, md))  # noqa: E731

    for key, value in ((c.SUBMISSION_BENCHMARK, cfg.benchmark.name), (c.SUBMISSION_ORG, cfg.rules.mllog_org),
                       (c.SUBMISSION_DIVISION, cfg.rules.division), (c.SUBMISSION_STATUS, "research"),
                       (c.SUBMISSION_PLATFORM, cfg.hardware.name)):
        add(t_init, "event", key, value)
    add(t_init, "event", c.CACHE_CLEAR, False)  # the framework does not drop the page cache: said, not faked
    add(t_init, "start", c.INIT_START)
    for key, value in ((c.SEED, int(cfg.seed)),
                       (c.GLOBAL_BATCH_SIZE, int(hp.batch_size) * max(1, int(hw.device_count)) * max(1, int(hw.nodes))),
                       (c.GRADIENT_ACCUMULATION_STEPS, 1), (c.OPT_NAME, str(hp.optimizer)),
                       (c.OPT_BASE_LR, float(hp.learning_rate)), (c.OPT_WEIGHT_DECAY, float(hp.weight_decay)),
                       ("number_of_nodes", int(hw.nodes)), ("accelerators_per_node", accelerators),
                       ("lowest_numerical_precision_in_linear", precision),
                       ("lowest_numerical_precision_in_attn", precision),
                       ("lowest_numerical_precision_in_comm", precision),
                       ("tensor_parallelism", 1), ("pipeline_parallelism", 1), ("context_parallelism", 1),
                       ("expert_parallelism", 1), ("micro_batch_size", int(hp.batch_size)),
                       ("config_filename", f"conf/benchmark/{cfg.benchmark.name}.yaml")):
        add(t_init, "event", key, value)
    staging = target_def.staging_window(_history(client, run_id, target_def.STAGING_METRIC))
    if staging is not None:
        add(staging[0], "start", "staging_start")
        add(staging[1], "end", "staging_stop")
    add(start_ms, "end", c.INIT_STOP)
    add(start_ms, "start", c.RUN_START)
    for key, names in ((c.TRAIN_SAMPLES, TRAIN_SAMPLE_KEYS), (c.EVAL_SAMPLES, EVAL_SAMPLE_KEYS)):
        row = _first_row(client, run_id, names)
        if row is not None:
            add(row[2], "event", key, int(row[1]))

    tgt = cfg.benchmark.target
    evals = _per_step(_history(client, run_id, tgt.metric)) if tgt is not None else {}
    elapsed = _per_step(_history(client, run_id, "epoch_elapsed_s"))
    validation = sorted(_history(client, run_id, VALIDATION_PHASE), key=lambda p: p[2])
    reach = target_def.first_reach(list(evals.values()), tgt.value, tgt.mode) if tgt is not None else None
    steps = sorted(set(evals) | set(elapsed))
    if elapsed:
        s0, e0, ts0 = elapsed[min(elapsed)]
        prev = int(round(ts0 - e0 * 1000.0))  # training start
    else:
        prev = start_ms
    prev = max(prev, start_ms)
    last_eval_end = prev
    for i, step in enumerate(steps):
        end = evals[step][2] if step in evals else elapsed[step][2]
        eval_s = 0.0
        if i < len(validation):  # cumulative phase time: this evaluation's increment
            eval_s = validation[i][1] - (validation[i - 1][1] if i else 0.0)
        eval_start = max(prev, int(round(end - eval_s * 1000.0)))
        add(prev, "start", c.EPOCH_START, epoch_num=step)
        add(eval_start, "end", c.EPOCH_STOP, epoch_num=step)
        if step in evals:
            add(eval_start, "start", c.EVAL_START, epoch_num=step)
            add(end, "event", c.EVAL_ACCURACY, float(evals[step][1]), epoch_num=step, metric=tgt.metric)
            add(end, "end", c.EVAL_STOP, epoch_num=step)
        prev = last_eval_end = end
        if reach is not None and step == reach.step:
            break
    outcome = c.SUCCESS if reach is not None and status == "FINISHED" else c.ABORTED
    add(reach.timestamp_ms if reach is not None else last_eval_end, "end", c.RUN_STOP, status=outcome)
    order = {id(e): n for n, e in enumerate(ev)}
    return sorted(ev, key=lambda e: (e.time_ms, order[id(e)]))


def render(cfg: Any, client: Any, run_id: str, status: str) -> str:
    """The MLLOG text of ``run_id`` (one ``:::MLLOG {json}`` line per event)."""
    from mlperf_logging.mllog.mllog import MLLogger

    buf = io.StringIO()
    logger = logging.getLogger(f"{__name__}.writer.{run_id}")  # private: never the package's global logger
    logger.propagate = False
    logger.setLevel(logging.INFO)
    handler = logging.StreamHandler(buf)
    logger.addHandler(handler)
    root = re.escape(str(Path(__file__).resolve().parents[2]))  # metadata.file relative to the checkout
    try:
        ml = MLLogger(logger=logger, default_stack_offset=1, root_dir=root)
        for e in events(cfg, client, run_id, status):
            write = {"start": ml.start, "end": ml.end, "event": ml.event}[e.kind]
            write(key=e.key, value=e.value, metadata=e.metadata or None, time_ms=e.time_ms)
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


__all__ = ["render", "events", "log_mllog", "parse", "ARTIFACT_DIR", "FILE_NAME"]
