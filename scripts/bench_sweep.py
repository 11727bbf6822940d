"""Wall time of an 8-job sweep of tiny runs: Hydra's basic launcher vs 2 workers (joblib's loky, and the warm pool).

    python scripts/bench_sweep.py [--jobs 8] [--sleep 3] [--launchers basic,parallel,warm] [--repeats 3]

Every sweep uses a throwaway benchmark (``--sleep`` seconds of "training" per job; 0: the run is pure
framework overhead) and a tracking store initialised beforehand, so none pays the one-off SQLite schema
creation.  ``parallel`` is Hydra's joblib launcher (each loky worker imports torch + MLflow itself);
``warm`` is sciml_mlflow's warm pool (workers forked from a server that imported them once,
sciml_mlflow/sweep/pool.py).  With ``--repeats R`` the launchers alternate R times; prints every wall
time, the medians and the ratios of medians basic / each.
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

_BENCH = '''
import time


def train(ctx):
    time.sleep(float(ctx.options.get("sleep_s", 0)))
    ctx.metrics.log("val_accuracy", 0.5, step=0)
'''
_CARD = """defaults:
  - /schema/benchmark@_here_
  - _self_
name: bench_toy
dataset: {name: bench_toy_data, scale: tiny}
training: {epochs: 1, batch_size: 8}
target: {metric: val_accuracy, value: 0.5, mode: max}
options: {sleep_s: 0}
"""
_DATA = '''
from pathlib import Path


def generate(path, scale, seed=0):
    Path(path, "data.txt").write_text("toy\\n")
'''


def _sweep(root: Path, launcher: str, jobs: int, sleep: float, env: dict, real: bool = False, epochs: int = 2) -> float:
    seeds = ",".join(str(i) for i in range(1, jobs + 1))
    work = (["benchmark=dms_structure", f"benchmark.training.epochs={epochs}"] + [f"benchmark.{o}" for o in REAL_TINY] if real
            else ["benchmark=bench_toy", f"benchmark.options.sleep_s={sleep}"])
    cmd = [sys.executable, "-m", "sciml_mlflow", "-m", *work, "hardware=cpu", "progress=false",
           f"seed={seeds}", f"hydra.sweep.dir={root / launcher}"]
    if launcher in ("parallel", "warm"):
        cmd += [f"hydra/launcher={launcher}", "hydra.launcher.n_jobs=2"]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    dt = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"{launcher} sweep failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return dt


#: --real: tiny dms_structure runs (real CPU-bound training, a few seconds each) instead of the toy
REAL_TINY = ["dataset.scale=tiny", "model=small"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=8)
    ap.add_argument("--sleep", type=float, default=0.0, help="seconds of fake training per job")
    ap.add_argument("--real", action="store_true", help="tiny dms_structure runs instead of the toy benchmark")
    ap.add_argument("--epochs", type=int, default=2, help="--real: epochs per run")
    ap.add_argument("--launchers", default="basic,parallel,warm", help="comma list of basic, parallel, warm")
    ap.add_argument("--repeats", type=int, default=1, help="alternate the launchers this many times; medians")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        bench = root / "toys" / "benchmarks" / "bench_toy"
        bench.mkdir(parents=True)
        (bench / "benchmark.py").write_text(_BENCH)
        (bench / "dataset.py").write_text(_DATA)
        (root / "toys" / "conf" / "benchmark").mkdir(parents=True)
        (root / "toys" / "conf" / "benchmark" / "bench_toy.yaml").write_text(_CARD)
        env = {**os.environ, "SCIML_MLFLOW_BENCHMARKS": str(root / "toys"), "SCIML_MLFLOW_HOME": str(root / "home"),
               "SCIML_DATA_DIR": str(root / "data")}
        env.pop("MLFLOW_RUN_ID", None)
        subprocess.run([sys.executable, "-c", "from sciml_mlflow.tracking.store import connect; import sys; "
                        "connect(sys.argv[1])", f"sqlite:///{root / 'home' / 'mlflow.db'}"], env=env, check=True)
        if args.real:  # stage the tiny data once, outside both timings
            subprocess.run([sys.executable, "-m", "sciml_mlflow", "benchmark=dms_structure", "hardware=cpu",
                            "progress=false", *[f"benchmark.{o}" for o in REAL_TINY], "benchmark.training.epochs=1"],
                           env=env, check=True, capture_output=True)
        launchers = [name.strip() for name in args.launchers.split(",") if name.strip()]
        runs: dict = {name: [] for name in launchers}
        for r in range(max(1, args.repeats)):
            for name in launchers:
                runs[name].append(_sweep(root / f"r{r}", name, args.jobs, args.sleep, env, args.real, args.epochs))
        times = {name: statistics.median(ts) for name, ts in runs.items()}
    what = f"tiny dms_structure runs ({args.epochs} epochs)" if args.real else f"{args.sleep:g} s of work per job"
    print(f"{args.jobs}-job sweep, {what}, {os.cpu_count()} CPUs, median of {max(1, args.repeats)}; "
          f"load average (1 min) now {os.getloadavg()[0]:.1f}")
    label = {"basic": "basic launcher (1 process, jobs in sequence)", "parallel": "joblib loky, 2 workers (hydra/launcher=parallel)",
             "warm": "warm pool, 2 workers (hydra/launcher=warm)"}
    for name, dt in times.items():
        each = f"  all: {', '.join(f'{t:.1f}' for t in runs[name])}" if len(runs[name]) > 1 else ""
        print(f"  {label[name]:<50}: {dt:7.1f} s  ({dt / args.jobs:.2f} s/job){each}")
    if "basic" in times:
        for name, dt in times.items():
            if name != "basic":
                print(f"  ratio basic / {name:<36}: {times['basic'] / dt:7.2f}x")


if __name__ == "__main__":
    main()
