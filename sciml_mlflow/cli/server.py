"""``sciml-mlflow server start|stop|status``: a group's MLflow tracking server.

Credentials come from the environment only (see docs/server.md and sciml_mlflow/server/settings.py);
no flag here takes a secret, because command lines are visible to every user of a machine.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    """Add ``server`` with its three actions (cheap: nothing heavy is imported here)."""
    p = subparsers.add_parser(
        "server", help="start, stop or inspect a shared MLflow tracking server (PostgreSQL + S3)",
        description="A tracking server for a group: PostgreSQL backend store from SCIML_DB_URI (or PG* "
        "variables), artifacts proxied to SCIML_ARTIFACTS_DESTINATION (s3://bucket/path; endpoint and AWS "
        "credentials from the environment), bound to 127.0.0.1 unless --host says otherwise.",
    )
    p.add_argument("action", choices=["start", "stop", "status"], help="what to do")
    p.add_argument("--host", default=None, help="interface to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=None, help="port (default 5000)")
    p.add_argument("--workers", type=int, default=None,
                   help="uvicorn workers (default 1: more add ~43 ms to every request, see docs/server.md)")
    p.add_argument("--allowed-hosts", default=None,
                   help="Host headers to accept when clients use a DNS name (MLflow's DNS-rebinding guard)")
    p.add_argument("--auth", action="store_true",
                   help="MLflow basic-auth app; admin password from SCIML_SERVER_ADMIN_PASSWORD")
    p.add_argument("--enable-jobs", action="store_true",
                   help="keep MLflow's job runner (GenAI scorers; ~2.8 GB of memory; off by default)")
    p.add_argument("--state-dir", type=Path, default=None,
                   help="PID file, log and auth files (default $SCIML_SERVER_DIR or ~/.sciml_mlflow/server)")
    p.add_argument("--timeout", type=float, default=None, help="seconds to wait for the server to be ready")
    p.set_defaults(func=run)


def _mb(n: int) -> str:
    return f"{n / 2**20:.0f} MB"


def run(args: argparse.Namespace) -> int:
    """Dispatch the action; returns the exit code."""
    import os

    from sciml_mlflow.server import process, settings

    state_dir = args.state_dir or settings.default_state_dir(os.environ)
    if args.action == "status":
        st = process.status(state_dir)
        if not st.running:
            print(f"no tracking server running (state dir {state_dir})")
            return 1
        print(f"tracking server {st.url}  pid {st.pid}  {'healthy' if st.healthy else 'NOT answering /health'}  "
              f"memory {_mb(st.rss_bytes)}")
        print(f"  backend   {st.backend_store_uri}\n  artifacts {st.artifacts_destination}\n  log       {st.log_file}")
        return 0 if st.healthy else 1
    if args.action == "stop":
        stopped = process.stop(state_dir)
        print("tracking server stopped" if stopped else f"no tracking server was running (state dir {state_dir})")
        return 0
    cfg = settings.from_env(
        state_dir=state_dir, host=args.host, port=args.port, workers=args.workers, auth=args.auth or None,
        allowed_hosts=args.allowed_hosts,
        job_execution=args.enable_jobs or None, startup_timeout_s=args.timeout,
    )
    st = process.start(cfg)
    print(f"tracking server ready at {st.url}  (pid {st.pid}, memory {_mb(st.rss_bytes)}, log {st.log_file})")
    print(f"  backend   {st.backend_store_uri}\n  artifacts {st.artifacts_destination} (proxied: clients need no S3 "
          "credentials)")
    print(f"clients:  export SCIML_TRACKING_URI={st.url}   then   python -m sciml_mlflow tracking=server ...")
    if cfg.auth:
        print("  basic auth on: clients set MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD")
    if cfg.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"  WARNING: bound to {cfg.host}: reachable from other machines"
              + ("" if cfg.auth else " WITHOUT authentication (add --auth)"))
    return 0
