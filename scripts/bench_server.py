#!/usr/bin/env python
"""Logging latency of one metric: the shared tracking server vs a local SQLite store; server memory.

    python scripts/bench_server.py                 # latency: SQLite vs server (PostgreSQL, our settings)
    python scripts/bench_server.py --workers-check # also a 2-worker server (the ~43 ms TCP_NODELAY stall)
    python scripts/bench_server.py --rss           # also server RSS with MLflow's job runner on vs off

Starts a throwaway PostgreSQL (Debian's binaries, see scripts/ci_services.sh) and servers on free
loopback ports through sciml_mlflow.server, times ``MlflowClient.log_metric`` (one synchronous call per
metric — the worst case; runs buffer metrics, see tracking/metric_buffer.py) and prints medians and ratios.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # for tests.fixtures.postgres (the same throwaway cluster the tests use)


def _latency_ms(uri: str, calls: int) -> float:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    exp = client.create_experiment(f"bench-{time.time_ns()}")
    run_id = client.create_run(exp).info.run_id
    for i in range(10):  # warm-up: connections, caches
        client.log_metric(run_id, "warmup", float(i), step=i)
    times = []
    for i in range(calls):
        t0 = time.perf_counter()
        client.log_metric(run_id, "loss", 1.0 / (i + 1), step=i)
        times.append(time.perf_counter() - t0)
    client.set_terminated(run_id)
    return statistics.median(times) * 1e3


def _server(db_uri: str, state: Path, **kw):
    from sciml_mlflow.server import process
    from sciml_mlflow.server.settings import from_env
    from tests.fixtures.postgres import free_port

    env = {**os.environ, "SCIML_DB_URI": db_uri}
    settings = from_env(env, state_dir=state, port=free_port(), startup_timeout_s=180, **kw)
    return settings, process.start(settings, base_env=env)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=200, help="log_metric calls per store (median reported)")
    ap.add_argument("--workers-check", action="store_true", help="also time a server with 2 uvicorn workers")
    ap.add_argument("--rss", action="store_true", help="also measure server memory with the job runner on/off")
    ap.add_argument("--settle", type=float, default=20.0, help="seconds to let a server settle before RSS")
    args = ap.parse_args()
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    import logging

    logging.basicConfig(level=logging.WARNING)
    from sciml_mlflow.server import process
    from tests.fixtures.postgres import running_postgres

    tmp = Path(tempfile.mkdtemp(prefix="bench-server-"))
    sqlite_ms = _latency_ms(f"sqlite:///{tmp}/local.db", args.calls)
    print(f"local SQLite            : {sqlite_ms:7.2f} ms per log_metric (median of {args.calls})")
    with running_postgres(durable=True) as pg:  # fsync on, like the SQLite file it is compared with
        results = {}
        configs = [("server, 1 worker", "w1", {"workers": 1})]
        if args.workers_check:
            configs.append(("server, 2 workers", "w2", {"workers": 2}))
        for label, name, kw in configs:
            settings, st = _server(pg.create_database(name), tmp / name, **kw)
            try:
                results[label] = _latency_ms(st.url, args.calls)
                print(f"{label:24s}: {results[label]:7.2f} ms per log_metric   "
                      f"(x{results[label] / sqlite_ms:.2f} vs SQLite)")
            finally:
                process.stop(settings.state_dir)
        if args.rss:
            rss_configs = (("1 worker, job runner off (ours)", "rss_ours", {}),
                           ("1 worker, job runner on", "rss_jobs", {"job_execution": True}),
                           ("MLflow defaults: 4 workers + job runner", "rss_default",
                            {"job_execution": True, "workers": 4}))
            for label, name, kw in rss_configs:
                settings, st = _server(pg.create_database(name), tmp / name, **kw)
                try:
                    time.sleep(args.settle)
                    rss = process.status(settings.state_dir).rss_bytes
                    results[label] = rss
                    print(f"RSS, {label:40s}: {rss / 2**20:8.0f} MB (server + child processes)")
                finally:
                    process.stop(settings.state_dir)
            ours = results[rss_configs[0][0]]
            for label, _, _ in rss_configs[1:]:
                print(f"RSS ratio {label} / ours: x{results[label] / ours:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
