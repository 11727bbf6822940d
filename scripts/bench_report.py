"""Benchmark: `sciml-mlflow report` over many runs with per-epoch histories on SQLite.

Creates N runs (default 5,000) in a fresh MLflow SQLite store, then times
  ours:    build_report(...) -- bulk SQL reads (sciml_mlflow.tracking.runstore) + figures + tables
           (plots skipped and included, both printed);
  obvious: mlflow.search_runs over the experiment, then MlflowClient.get_metric_history per run for the
           keys the figures need (target metric, epoch_elapsed_s, energy).  The per-run history loop is
           timed on a subset of runs and EXTRAPOLATED linearly to N (said in the output); search_runs is
           timed in full.

Writing: the store is created by MLflow (schema and experiment through MlflowClient), then rows are
bulk-inserted with sqlite3 into MLflow's own tables (runs, tags, params, metrics, latest_metrics) so
that 5,000 runs take seconds to create; the measured READ paths are untouched by this shortcut, and
a sample run is checked through the MLflow client first.

    python scripts/bench_report.py [--runs 5000] [--epochs 10] [--subset 200]
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import tempfile
import time
import uuid
from pathlib import Path


def create_store(db: Path, n_runs: int, epochs: int, seed: int = 0) -> str:
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    from mlflow.tracking import MlflowClient

    uri = f"sqlite:///{db}"
    client = MlflowClient(uri)
    exp_id = client.create_experiment("dms_structure", artifact_location=(db.parent / "artifacts").as_uri())
    rng = random.Random(seed)
    hardware = ["cpu", "a100", "h100", "v100", "h200"]
    batch = [16, 32, 64, 128]
    t_base = int(time.time() * 1000) - n_runs * 600_000
    runs, tags, params, metrics, latest = [], [], [], [], []
    for i in range(n_runs):
        rid = uuid.uuid4().hex
        hw, bs = hardware[i % len(hardware)], batch[(i // len(hardware)) % len(batch)]
        speed = {"cpu": 1.0, "v100": 4.0, "a100": 8.0, "h100": 14.0, "h200": 16.0}[hw]
        start = t_base + i * 600_000
        t0 = start + 5_000  # training starts after staging
        run_name = f"dms_structure-train-{hw}-{i}"
        runs.append((rid, run_name, "LOCAL", "", "", "bench", "FINISHED", start, start + 400_000, "", "active",
                     f"{db.parent.as_uri()}/artifacts/{rid}", int(exp_id)))
        for k, v in {"benchmark": "dms_structure", "hardware": hw, "seed": str(i), "mode": "train",
                     "mlflow.runName": run_name, "dataset.digest": "abc123", "compliance.division": "closed",
                     "compliance.status": "compliant", "sweep.id": f"s{i // 50}"}.items():
            tags.append((k, v, rid))
        cfgp = {"benchmark.name": "dms_structure", "benchmark.model": "small", "benchmark.dataset.name": "dms_sim",
                "benchmark.dataset.scale": "small", "benchmark.training.epochs": str(epochs),
                "benchmark.training.batch_size": str(bs), "benchmark.training.learning_rate": "0.001",
                "benchmark.training.optimizer": "adamw", "benchmark.target.metric": "val_accuracy",
                "benchmark.target.value": "0.9", "benchmark.target.mode": "max", "hardware.name": hw,
                "seed": str(i), "mode": "train", "rules.division": "closed"}
        params += [(k, v, rid) for k, v in cfgp.items()]
        acc, elapsed, energy, power = 0.5, 0.0, 0.0, 50.0 * speed
        last = {}
        for ep in range(1, epochs + 1):
            acc = min(0.99, acc + rng.uniform(0.02, 0.12))
            dt = rng.uniform(20, 30) / speed
            elapsed += dt
            ts = int(t0 + elapsed * 1000)
            for k, v in {"val_accuracy": acc, "epoch_elapsed_s": elapsed, "train_loss": 1 - acc, "val_loss": 1.1 - acc,
                         "train_throughput_samples_per_s": 1000 * speed / 25}.items():
                metrics.append((k, v, ts, rid, ep, 0))
                last[k] = (v, ts, ep)
            energy += power * dt
            metrics.append(("system/total_energy_joules", energy, ts, rid, ep, 0))
            last["system/total_energy_joules"] = (energy, ts, ep)
        metrics.append(("system/total_energy_joules", 0.0, int(t0), rid, 0, 0))  # the window's first sample
        last["test_accuracy"] = (acc - 0.01, int(t0 + elapsed * 1000) + 1000, epochs)
        metrics.append(("test_accuracy", acc - 0.01, last["test_accuracy"][1], rid, epochs, 0))
        latest += [(k, v, ts, st, 0, rid) for k, (v, ts, st) in last.items()]
    con = sqlite3.connect(db)
    with con:
        con.executemany("INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, status,"
                        " start_time, end_time, source_version, lifecycle_stage, artifact_uri, experiment_id)"
                        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", runs)
        con.executemany("INSERT INTO tags (key, value, run_uuid) VALUES (?,?,?)", tags)
        con.executemany("INSERT INTO params (key, value, run_uuid) VALUES (?,?,?)", params)
        con.executemany("INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES (?,?,?,?,?,?)", metrics)
        con.executemany("INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) VALUES (?,?,?,?,?,?)", latest)
    con.close()
    sample = client.get_run(runs[0][0])  # the rows read back through MLflow itself
    assert sample.data.params["benchmark.training.batch_size"] and len(client.get_metric_history(runs[0][0], "val_accuracy")) == epochs
    return uri


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5000)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--subset", type=int, default=200, help="runs for the obvious approach's history loop")
    args = ap.parse_args()
    import logging

    logging.basicConfig(level=logging.WARNING)
    from sciml_mlflow.report.build import build_report
    from sciml_mlflow.report.schema import load_report_config

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "mlflow.db"
        t = time.perf_counter()
        uri = create_store(db, args.runs, args.epochs)
        print(f"created {args.runs} runs x {args.epochs} epochs in {time.perf_counter() - t:.1f}s ({db.stat().st_size / 1e6:.0f} MB)")
        cfg = load_report_config("default")
        cfg.log_to_mlflow = False
        import matplotlib.pyplot  # noqa: F401 - imports warmed up for both contenders (a CLI pays them once)
        import mlflow.entities  # noqa: F401
        import scipy.stats  # noqa: F401
        import sqlalchemy  # noqa: F401
        t = time.perf_counter()
        res = build_report(uri, cfg, Path(tmp) / "out", plots=False)
        ours_tables = time.perf_counter() - t
        t = time.perf_counter()
        res = build_report(uri, cfg, Path(tmp) / "out2", plots=True)
        ours_full = time.perf_counter() - t
        n = sum(len(g.runs) for g in res.summary.groups)
        print(f"ours: report over {n} runs, {len(res.summary.groups)} groups: {ours_tables:.2f}s without plots, "
              f"{ours_full:.2f}s with plots+HTML (read {res.timings['read_s']:.2f}s, compute {res.timings['compute_s']:.2f}s, "
              f"render {res.timings['render_s']:.2f}s)")

        import mlflow
        from mlflow.tracking import MlflowClient

        mlflow.set_tracking_uri(uri)
        client = MlflowClient(uri)
        exp = client.get_experiment_by_name("dms_structure")
        t = time.perf_counter()
        df = mlflow.search_runs([exp.experiment_id], max_results=100_000)
        t_search = time.perf_counter() - t
        keys = ["val_accuracy", "epoch_elapsed_s", "system/total_energy_joules", "train_throughput_samples_per_s"]
        ids = list(df["run_id"])[: args.subset]
        t = time.perf_counter()
        for rid in ids:
            for k in keys:
                client.get_metric_history(rid, k)
        t_hist = (time.perf_counter() - t) * len(df) / len(ids)
        obvious = t_search + t_hist
        print(f"obvious: mlflow.search_runs {len(df)} runs {t_search:.2f}s (measured) + get_metric_history x{len(keys)} keys "
              f"per run {t_hist:.1f}s (measured on {len(ids)} runs, extrapolated to {len(df)}) = {obvious:.1f}s")
        print(f"ratio obvious/ours: {obvious / ours_tables:.0f}x (tables only), {obvious / ours_full:.0f}x (with plots)")
        print(f"target < 10 s: {'met' if ours_full < 10 else 'MISSED'} ({ours_full:.2f}s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
