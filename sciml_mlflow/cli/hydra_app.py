"""The Hydra app: compose ``conf/`` and hand the config to ``sciml_mlflow.run.run_benchmark``.

Thin on purpose (lightning-hydra-template style): all work happens in importable functions.  Heavy
libraries (torch, mlflow) are imported only once a run really starts, so ``--help`` stays fast.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import List

log = logging.getLogger("sciml_mlflow")


def _with_detected_hardware(argv: List[str]) -> List[str]:
    """Append ``hardware=<detected>`` when the command line names no profile (or ``hardware=auto``)."""
    explicit = [a for a in argv if a.lstrip("+~").startswith(("hardware=", "hardware@"))]
    if explicit and "hardware=auto" not in argv:
        return argv
    if any(a in ("--help", "-h", "--hydra-help") for a in argv):
        return argv
    from sciml_mlflow.core.resources import config_dir
    from sciml_mlflow.hardware.detect import (
        detect_machine,
        load_profile_matches,
        match_profile,
    )

    detected = match_profile(detect_machine(), load_profile_matches(config_dir() / "hardware"))
    log.debug("hardware profile detected from this machine: %s", detected)
    return [a for a in argv if a != "hardware=auto"] + [f"hardware={detected}"]


def _task(cfg: "object") -> "object":
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    from sciml_mlflow import distributed
    from sciml_mlflow.run import run_benchmark
    from sciml_mlflow.errors import ConfigError, SciMLError
    from sciml_mlflow.sweep import current_job
    from sciml_mlflow.tracking.store import ui_command

    hc = HydraConfig.get()
    job = current_job()  # set by the sweep callback in multirun jobs
    tags = job.run_tags() if job is not None else None
    run = distributed.run_distributed if distributed.wanted(cfg) else run_benchmark
    try:
        result = run(cfg, Path(hc.runtime.output_dir), list(hc.overrides.task), extra_tags=tags)  # type: ignore[arg-type]
    except SciMLError as exc:
        if hc.mode == RunMode.MULTIRUN:
            raise  # the job fails, the sweep goes on (sys.exit here would abort the remaining jobs)
        log.error("%s", exc)
        sys.exit(2 if isinstance(exc, ConfigError) else 1)
    print(f"\nrun {result.run_id} {result.status}  (experiment {result.experiment_id})")
    shown = {k: v for k, v in sorted(result.metrics.items()) if not k.startswith(("system/", "time/"))}
    for key in list(shown)[:12]:
        print(f"  {key:40s} {shown[key]:.6g}")
    print(f"see it: {ui_command(result.tracking_uri)}")
    return result  # type: ignore[return-value]  # kept by Hydra as the job's return value (sweep summary)


def main() -> None:
    """Console entry: register schemas, detect hardware, run Hydra."""
    import hydra

    from sciml_mlflow.config.compose import collection_searchpath_override
    from sciml_mlflow.config.schema import register_schemas
    from sciml_mlflow.core.resources import config_dir
    from sciml_mlflow.sweep import parent

    register_schemas()
    argv = _with_detected_hardware(sys.argv[1:])
    sys.argv = [sys.argv[0]] + argv + collection_searchpath_override(argv)
    app = hydra.main(version_base="1.3", config_path=str(config_dir()), config_name="config")(_task)

    failed, killed = True, False
    try:
        app()
        failed = False
    except KeyboardInterrupt:
        killed = True
        raise
    finally:
        # Hydra skips on_multirun_end when a job failed: close any parent sweep run it left open.
        parent.close_open_sweeps(failed=failed, killed=killed)
        for table in parent.pop_summaries():
            print("\n" + table)
