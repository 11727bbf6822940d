"""The Hydra app: compose ``conf/`` and hand the config to ``core.runner.run_benchmark``.

Thin on purpose (lightning-hydra-template style): all work happens in importable functions.  Heavy
libraries (torch, mlflow) are imported only once a run really starts, so ``--help`` stays fast.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import List

log = logging.getLogger("sciml_mlflow")

_NO_RUN_FLAGS = ("--help", "-h", "--hydra-help", "--cfg", "-c", "--info", "-i", "--shell-completion", "-sc")


def _with_detected_hardware(argv: List[str]) -> List[str]:
    """Append ``hardware=<detected>`` when the command line names no profile (or ``hardware=auto``)."""
    explicit = [a for a in argv if a.lstrip("+~").startswith(("hardware=", "hardware@"))]
    if explicit and "hardware=auto" not in argv:
        return argv
    if any(a in ("--help", "-h", "--hydra-help") for a in argv):
        return argv
    from sciml_mlflow.core.resources import config_dir
    from sciml_mlflow.hardware.detect import detect_machine, load_profile_matches, match_profile

    detected = match_profile(detect_machine(), load_profile_matches(config_dir() / "hardware"))
    log.debug("hardware profile detected from this machine: %s", detected)
    return [a for a in argv if a != "hardware=auto"] + [f"hardware={detected}"]


def _task(cfg: "object") -> None:
    from hydra.core.hydra_config import HydraConfig

    from sciml_mlflow.core.runner import run_benchmark
    from sciml_mlflow.errors import ConfigError, SciMLError
    from sciml_mlflow.tracking.store import ui_command

    hc = HydraConfig.get()
    try:
        result = run_benchmark(cfg, Path(hc.runtime.output_dir), list(hc.overrides.task))  # type: ignore[arg-type]
    except ConfigError as exc:
        log.error("%s", exc)
        sys.exit(2)
    except SciMLError as exc:
        log.error("%s", exc)
        sys.exit(1)
    print(f"\nrun {result.run_id} {result.status}  (experiment {result.experiment_id})")
    shown = {k: v for k, v in sorted(result.metrics.items()) if not k.startswith(("system/", "time/"))}
    for key in list(shown)[:12]:
        print(f"  {key:40s} {shown[key]:.6g}")
    print(f"see it: {ui_command(result.tracking_uri)}")


def main() -> None:
    """Console entry: register schemas, detect hardware, run Hydra."""
    import hydra

    from sciml_mlflow.config.schema import register_schemas
    from sciml_mlflow.core.resources import config_dir

    from sciml_mlflow.config.compose import collection_searchpath_override

    register_schemas()
    argv = _with_detected_hardware(sys.argv[1:])
    sys.argv = [sys.argv[0]] + argv + collection_searchpath_override(argv)
    app = hydra.main(version_base="1.3", config_path=str(config_dir()), config_name="config")(_task)
    app()
