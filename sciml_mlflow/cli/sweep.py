"""``sciml-mlflow sweep search``: hyperparameter search with Optuna, one MLflow run per trial.

Grid/seed sweeps need no subcommand: ``python -m sciml_mlflow -m seed=1,2,3`` (see docs/sweeps.md).
"""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: "argparse._SubParsersAction") -> None:
    p = subparsers.add_parser("sweep", help="sweeps beyond Hydra's multirun: hyperparameter search (Optuna)",
                              description="Sweeps. Grid and seed sweeps: python -m sciml_mlflow -m seed=1,2,3.")
    sub = p.add_subparsers(dest="sweep_command", metavar="SUBCOMMAND", required=True)
    s = sub.add_parser("search", help="search hyperparameters the rules allow to vary; trials grouped under a study run")
    s.add_argument("overrides", nargs="*", help="config overrides, e.g. benchmark=dms_structure rules=closed")
    s.add_argument("--trials", type=int, default=10, help="number of trials (default 10)")
    s.add_argument("--metric", help="objective: a logged metric (default: the benchmark's target metric)")
    s.add_argument("--direction", choices=["max", "min"], help="default: the target's mode")
    s.add_argument("--space", type=Path, help="search space YAML (default: conf/search/<benchmark>.yaml)")
    s.add_argument("--seed", type=int, default=0, help="sampler seed (default 0)")
    s.add_argument("--storage", help="Optuna storage URL to persist/resume the study (default: in memory)")
    s.add_argument("--name", help="study name (default: the generated study id)")
    s.set_defaults(func=_search)


def _search(args: argparse.Namespace) -> int:
    from sciml_mlflow.sweep.hpo import run_study

    res = run_study(args.overrides, metric=args.metric, direction=args.direction, n_trials=args.trials,
                    space_file=args.space, seed=args.seed, storage=args.storage, study_name=args.name)
    print(f"study {res.study_id}: {res.status} (parent run {res.parent_run_id})")
    for t in res.trials:
        params = " ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in t["params"].items())
        value = f"{t['value']:.5g}" if "value" in t else "-"
        print(f"  trial {t['number']:3d}  {t.get('state', '?'):8s}  {value:>10s}  {params}  {t.get('note', '')}")
    if res.best_value is None:
        print("no trial completed")
        return 1
    print(f"best: {res.best_value:.6g} with {res.best_params}")
    return 0
