"""``mlflow run .``: the MLproject entry point, turning project parameters into the run app's command line.

``mlflow run`` opens its own run (in experiment "Default" unless told otherwise, artifacts wherever that
experiment keeps them) and logs the project parameters on it (``hardware=auto``, the quoted ``overrides``
string) before the command starts; MLflow params are immutable, so that run can never carry the same
params as ``python -m sciml_mlflow``.  The benchmark run is therefore its own run, started exactly as
the run app starts it (the benchmark's experiment, the configured artifact store, the same params); the
project run stays a launcher: tagged with the benchmark run's id and experiment and a note linking them
(docs/decisions.md).
"""

from __future__ import annotations

import argparse
import logging
import os
import shlex
from typing import List, Optional

log = logging.getLogger(__name__)


def overrides_from(benchmark: str, hardware: str, mode: str, seed: str, overrides: str) -> List[str]:
    """The run app's overrides for the project parameters (``hardware=auto``: detect, as the run app does)."""
    out = [f"benchmark={benchmark}", f"mode={mode}", f"seed={seed}"]
    if hardware and hardware != "auto":
        out.append(f"hardware={hardware}")
    return out + shlex.split(overrides or "")


def _link(launcher_run_id: str, results: list) -> None:
    """Tag the project run with the benchmark run(s) it launched."""
    from sciml_mlflow.tracking.store import connect

    if not results:
        return
    first = results[0]
    client = connect(first.tracking_uri)
    ids = " ".join(r.run_id for r in results)
    client.set_tag(launcher_run_id, "sciml.benchmark_run_ids", ids)
    client.set_tag(launcher_run_id, "sciml.benchmark_experiment_id", first.experiment_id)
    client.set_tag(launcher_run_id, "mlflow.note.content",
                   f"This `mlflow run` launcher only started the benchmark: its results are run {ids} in "
                   f"experiment {first.experiment_id}.")


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(prog="sciml_mlflow.cli.mlproject", description=__doc__)
    for name in ("benchmark", "hardware", "mode", "seed", "overrides"):
        parser.add_argument(f"--{name}", default="")
    args = parser.parse_args(argv)
    launcher = os.environ.pop("MLFLOW_RUN_ID", None)  # never resume mlflow run's own run
    from sciml_mlflow.cli import hydra_app

    try:
        hydra_app.main(overrides_from(args.benchmark or "dms_structure", args.hardware, args.mode or "train",
                                      args.seed or "42", args.overrides))
    finally:
        if launcher:
            try:
                _link(launcher, hydra_app.RESULTS)
            except Exception as exc:  # the benchmark run is what matters; a missing link is only logged
                log.error("could not link the mlflow run launcher %s to its benchmark run: %s", launcher, exc)


if __name__ == "__main__":
    main()
