"""Measure what telemetry costs: the 1 Hz sampler vs MLflow's built-in monitor, and per-step metric logging.

    python scripts/bench_telemetry.py [--seconds 30] [--steps 10000] [--plain-steps 300]

1. Sampler cost: CPU time of the whole process per second of an otherwise idle run (the main thread
   sleeps), minus the same run without any monitor.  Ours = collectors + sampler thread + buffered writes
   to the SQLite store; MLflow's = ``start_run(log_system_metrics=True)`` at a 1 s interval.
2. Per-step logging: N steps x 3 metrics through ``ctx.metrics`` (the run's MetricLogger as the runner
   builds it: journaled to disk and heartbeating, ``MetricLogger.for_run``), the same without the journal,
   and plain ``mlflow.log_metric`` on the same SQLite store (the plain path is timed on ``--plain-steps``
   steps and scaled: it costs milliseconds per call).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path


def _store(tmp: Path) -> str:
    return f"sqlite:///{tmp}/mlflow.db"


def _cpu_during(seconds: float) -> float:
    c0, t0 = time.process_time(), time.monotonic()
    time.sleep(seconds)
    return (time.process_time() - c0) / (time.monotonic() - t0)


def bench_sampler(uri: str, seconds: float) -> dict:
    import mlflow
    from mlflow.tracking import MlflowClient

    from sciml_mlflow.telemetry import collector
    from sciml_mlflow.telemetry.sampler import Sampler
    from sciml_mlflow.telemetry.sink import SystemMetricWriter
    from sciml_mlflow.tracking.metric_buffer import MetricLogger

    mlflow.set_tracking_uri(uri)
    client = MlflowClient(uri)
    exp = mlflow.set_experiment("bench_telemetry")
    out = {}

    with mlflow.start_run(experiment_id=exp.experiment_id, run_name="baseline", log_system_metrics=False):
        out["baseline"] = _cpu_during(seconds)

    with mlflow.start_run(experiment_id=exp.experiment_id, run_name="ours", log_system_metrics=False) as run:
        metrics = MetricLogger(client, run.info.run_id)
        built = collector.build(["cpu", "memory", "disk", "network", "gpu", "rapl"])
        sampler = Sampler(built, SystemMetricWriter(metrics), interval_s=1.0)
        sampler.start()
        t0 = time.monotonic()
        out["ours"] = _cpu_during(seconds)
        sampler.stop()
        out["ours_thread"] = sampler.cpu_seconds / (time.monotonic() - t0)
        metrics.close()
        out["ours_samples"] = len(client.get_metric_history(run.info.run_id, "system/cpu_utilization_percentage"))
        out["ours_collectors"] = ",".join(c.name for c in built)

    mlflow.set_system_metrics_sampling_interval(1.0)
    mlflow.set_system_metrics_samples_before_logging(1)
    with mlflow.start_run(experiment_id=exp.experiment_id, run_name="mlflow", log_system_metrics=True) as run:
        time.sleep(1.5)  # MLflow's monitor starts its thread lazily; do not count its start-up
        out["mlflow"] = _cpu_during(seconds)
    time.sleep(0.5)
    out["mlflow_samples"] = len(client.get_metric_history(run.info.run_id, "system/cpu_utilization_percentage"))
    return out


def bench_logging(uri: str, steps: int, plain_steps: int) -> dict:
    import mlflow
    from mlflow.tracking import MlflowClient

    from sciml_mlflow.tracking.metric_buffer import MetricLogger

    mlflow.set_tracking_uri(uri)
    client = MlflowClient(uri)
    exp = mlflow.set_experiment("bench_logging")
    out = {}
    with mlflow.start_run(experiment_id=exp.experiment_id, run_name="ctx.metrics") as run:
        metrics = MetricLogger.for_run(client, run.info.run_id)  # what ctx.metrics is in a real run (journaled)
        t0 = time.perf_counter()
        for i in range(steps):
            metrics.log("train_loss", 1.0 / (i + 1), step=i)
            metrics.log("train_accuracy", i / steps, step=i)
            metrics.log("lr", 1e-3, step=i)
        loop = time.perf_counter() - t0
        t1 = time.perf_counter()
        metrics.close()
        flush = time.perf_counter() - t1
        n = len(client.get_metric_history(run.info.run_id, "train_loss"))
    out.update(buffered_us_per_step=1e6 * loop / steps, buffered_final_flush_s=flush, buffered_rows=n)

    with mlflow.start_run(experiment_id=exp.experiment_id, run_name="no journal") as run:
        metrics = MetricLogger(client, run.info.run_id)
        t0 = time.perf_counter()
        for i in range(steps):
            metrics.log("train_loss", 1.0 / (i + 1), step=i)
            metrics.log("train_accuracy", i / steps, step=i)
            metrics.log("lr", 1e-3, step=i)
        out["unjournaled_us_per_step"] = 1e6 * (time.perf_counter() - t0) / steps
        metrics.close()

    with mlflow.start_run(experiment_id=exp.experiment_id, run_name="ctx.metrics.log_dict") as run:
        metrics = MetricLogger.for_run(client, run.info.run_id)
        t0 = time.perf_counter()
        for i in range(steps):
            metrics.log_dict({"train_loss": 1.0 / (i + 1), "train_accuracy": i / steps, "lr": 1e-3}, step=i)
        out["buffered_dict_us_per_step"] = 1e6 * (time.perf_counter() - t0) / steps
        metrics.close()

    with mlflow.start_run(experiment_id=exp.experiment_id, run_name="plain"):
        t0 = time.perf_counter()
        for i in range(plain_steps):
            mlflow.log_metric("train_loss", 1.0 / (i + 1), step=i)
            mlflow.log_metric("train_accuracy", i / steps, step=i)
            mlflow.log_metric("lr", 1e-3, step=i)
        out["plain_us_per_step"] = 1e6 * (time.perf_counter() - t0) / plain_steps
    return out


def _report_sampler(runs: list, args: argparse.Namespace) -> None:
    med = {k: statistics.median(r[k] for r in runs) for k in ("baseline", "ours", "mlflow")}
    ours, mlf = med["ours"] - med["baseline"], med["mlflow"] - med["baseline"]
    print(f"Sampler at 1 Hz, {args.seconds:.0f} s runs x{args.repeat} (CPU time per second of run, % of one core):")
    print(f"  baseline (no monitor)   {100 * med['baseline']:.3f} %")
    print(f"  ours                    {100 * ours:.3f} %  (+baseline; {runs[-1]['ours_samples']} samples; "
          f"collectors {runs[-1]['ours_collectors']}; sampling thread alone "
          f"{100 * statistics.median(r['ours_thread'] for r in runs):.3f} %, the rest is batched store writes)")
    print(f"  mlflow built-in         {100 * mlf:.3f} %  (+baseline; {runs[-1]['mlflow_samples']} samples)")
    print(f"  ratio mlflow/ours       {mlf / ours if ours > 0 else float('inf'):.1f}x   target: ours < 0.5 %")


def _report_logging(lg: dict, args: argparse.Namespace) -> None:
    print(f"Per-step logging, {args.steps} steps x 3 metrics, SQLite store:")
    print(f"  ctx.metrics.log x3      {lg['buffered_us_per_step']:.2f} us/step "
          f"(final flush {lg['buffered_final_flush_s']:.2f} s, {lg['buffered_rows']} rows of train_loss stored)")
    print(f"  ctx.metrics.log_dict    {lg['buffered_dict_us_per_step']:.2f} us/step")
    print(f"  ...log x3, no journal   {lg['unjournaled_us_per_step']:.2f} us/step (the journal's os.write costs "
          f"{lg['buffered_us_per_step'] - lg['unjournaled_us_per_step']:.2f} us/step)")
    print(f"  mlflow.log_metric x3    {lg['plain_us_per_step']:.0f} us/step (timed on {args.plain_steps} steps)")
    print(f"  background writer       {3 * args.steps / lg['buffered_final_flush_s']:.0f} rows/s into SQLite "
          f"(log_batch, off the training thread; {lg['buffered_final_flush_s']:.1f} s for all {3 * args.steps})")
    print(f"  ratio plain/buffered    {lg['plain_us_per_step'] / lg['buffered_us_per_step']:.0f}x   "
          f"target: buffered < 20 us/step")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=30.0, help="length of each sampler run")
    ap.add_argument("--steps", type=int, default=10_000)
    ap.add_argument("--plain-steps", type=int, default=300, help="steps timed for plain mlflow.log_metric")
    ap.add_argument("--skip-sampler", action="store_true", help="only the per-step logging comparison")
    ap.add_argument("--repeat", type=int, default=1, help="repeat the sampler comparison, report the median")
    args = ap.parse_args()
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    import logging

    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        uri = _store(Path(tmp))
        os.environ["SCIML_JOURNAL_DIR"] = str(Path(tmp) / "journal")
        if not args.skip_sampler:
            _report_sampler([bench_sampler(uri, args.seconds) for _ in range(args.repeat)], args)
        _report_logging(bench_logging(uri, args.steps, args.plain_steps), args)


if __name__ == "__main__":
    main()
