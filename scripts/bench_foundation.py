"""Foundation performance: CLI start-up and framework overhead (issue 2).

Prints numbers and ratios; not a test.

1. ``python -m sciml_mlflow --help`` wall time (target < 2 s: heavy libraries are imported lazily).
2. Framework overhead: the same dms_structure training (same data, epochs, seed) run
   (a) bare: the benchmark's own PyTorch training code called with a hand-made RunContext and a no-op
       metric sink — no Hydra, no MLflow, no telemetry, no data verification;
   (b) through ``python -m sciml_mlflow`` with everything on (SQLite store, system metrics, params,
       artifacts, dataset verification).
   Both are whole processes, alternated, ``--repeats`` times each; the ratio of medians is reported
   (target <= 1.05 on a run of about a minute).

    python scripts/bench_foundation.py [--repeats 3] [--epochs 50] [--scale small] [--patience 0]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

BARE = r'''
import sys, time, tempfile
from pathlib import Path
import torch
from sciml_mlflow.core.context import RunContext, HardwareProfile, Hyperparameters
from sciml_mlflow.core.registry import get
from sciml_mlflow.data.staging import dataset_dir

class Null:
    def log(self, name, value, step=0): pass
    def log_dict(self, metrics, step=0): pass

epochs, scale, data_dir, patience = int(sys.argv[1]), sys.argv[2], Path(sys.argv[3]), int(sys.argv[4])
torch.manual_seed(42)
out = Path(tempfile.mkdtemp())
(out / "model").mkdir()
ctx = RunContext(
    benchmark="dms_structure", mode="train", data_dir=data_dir, output_dir=out, model_dir=out / "model",
    device="cpu", seed=42, scale=scale, model="small",
    hparams=Hyperparameters(epochs=epochs, batch_size=32, learning_rate=1e-3, weight_decay=1e-4, optimizer="adamw",
                            early_stopping_patience=patience, validation_fraction=0.15),
    hardware=HardwareProfile(name="cpu", accelerator="cpu", device_count=1, nodes=1, precision="fp32",
                             peak_flops={}, tdp_watts=None, dataloader_workers=0),
    metrics=Null(), options={"multi_label": False}, show_progress=False)
get("dms_structure").load().train(ctx)
'''


def _time(cmd: list[str], env: dict) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=50, help="about a minute of training on 2 cores")
    ap.add_argument("--scale", default="small")
    ap.add_argument("--patience", type=int, default=0, help="early-stopping patience (0: run every epoch)")
    args = ap.parse_args()
    py = sys.executable
    home = Path(tempfile.mkdtemp(prefix="sciml-bench-"))
    env = {**os.environ, "SCIML_MLFLOW_HOME": str(home)}
    env.pop("MLFLOW_TRACKING_URI", None)

    helps = [_time([py, "-m", "sciml_mlflow", "--help"], env) for _ in range(5)]
    print(f"python -m sciml_mlflow --help: median {statistics.median(helps):.2f} s "
          f"(min {min(helps):.2f}, max {max(helps):.2f}; target < 2 s)")

    overrides = ["benchmark=dms_structure", f"benchmark.dataset.scale={args.scale}", "benchmark.model=small",
                 f"benchmark.training.epochs={args.epochs}", "seed=42",
                 f"benchmark.training.early_stopping_patience={args.patience}", "progress=false", "hardware=cpu"]
    # Stage the data once (outside both measurements) and find where it lives.
    subprocess.run([py, "-m", "sciml_mlflow", *overrides, "benchmark.training.epochs=1"], check=True, env=env,
                   cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sys.path.insert(0, str(ROOT))
    from sciml_mlflow.data.staging import dataset_dir

    data = dataset_dir("dms_sim", args.scale)
    bare, framework = [], []
    for _ in range(args.repeats):
        bare.append(_time([py, "-c", BARE, str(args.epochs), args.scale, str(data), str(args.patience)], env))
        framework.append(_time([py, "-m", "sciml_mlflow", *overrides], env))
    b, f = statistics.median(bare), statistics.median(framework)
    print(f"bare PyTorch training  : median {b:.1f} s  {[round(x, 1) for x in bare]}")
    print(f"python -m sciml_mlflow : median {f:.1f} s  {[round(x, 1) for x in framework]}")
    print(f"overhead ratio framework/bare: {f / b:.3f} (target <= 1.05)")


if __name__ == "__main__":
    main()
