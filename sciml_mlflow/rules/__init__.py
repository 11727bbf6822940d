"""Rules and compliance, the MLPerf way: open and closed divisions, per-benchmark rule tables.

- ``precheck(cfg, profile, mismatch)``: the runner's pre-run hook (refuses closed violations);
- ``after_run(cfg, client, run_id, status)``: the runner's post-run hook (MLLOG log when rules.mllog);
- ``sciml_mlflow.rules.checker``: the post-hoc checker behind ``sciml-mlflow check``;
- ``sciml_mlflow.rules.expression``: the safe expression evaluator rule tables use.
"""

from __future__ import annotations

import logging
from typing import Any

from sciml_mlflow.rules.compliance import Compliance, precheck

log = logging.getLogger(__name__)


def after_run(cfg: Any, client: Any, run_id: str, status: str) -> None:
    """Post-run hook: write the MLPerf log when ``rules.mllog`` is on.  Never fails the run."""
    if not bool(getattr(cfg.rules, "mllog", False)):
        return
    try:
        from sciml_mlflow.rules.mllog import log_mllog

        log_mllog(cfg, client, run_id, status)
    except Exception as exc:  # noqa: BLE001 - the run's own outcome matters more than its MLPerf log
        log.error("could not write the MLLOG log of run %s: %s: %s", run_id, type(exc).__name__, exc)


__all__ = ["Compliance", "precheck", "after_run"]
