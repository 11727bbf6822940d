"""Difficulty panel: simple learners vs the benchmark's model on the same staged dataset.

    python scripts/difficulty_panel.py --benchmark dms_structure --scale small --seeds 3
    python scripts/difficulty_panel.py --benchmark em_denoise --scale small --seeds 3 --run-reference

Why: a benchmark only discriminates methods when simple learners, each tuned on the training split only,
stay clearly below the model it is meant to measure (issue 16).  The script

1. stages the dataset exactly as a run does (pulled, or generated and checked against dvc.lock);
2. runs ``benchmarks/<benchmark>/panel.py``: ``learners(root, seed) -> {name: score}`` on the test split,
   scored with the metric the model logs (``panel.METRIC``), once per seed (once in all when the panel
   sets ``SEED_DEPENDENT = False``: nothing in it is random);
3. takes the model's ``METRIC`` from the tracking store — the FINISHED training runs of that benchmark on
   the *same dataset digest* with the card's settings (model, training, options; plus any overrides
   given) — ``--run-reference`` first trains one per seed, ``seed=1..N``;
4. prints one table: mean and 95 % CI (Student t) per learner and for the model, and each learner's margin
   below the model.  ``--json PATH`` also writes the numbers.

Exit status 0 whatever the margins are (it measures; the README states the bar), 2 on bad input.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Mapping, Sequence, Tuple

ROOT = Path(__file__).resolve().parents[1]


def mean_ci(values: Sequence[float]) -> Tuple[float, float]:
    """Mean and the half-width of its 95 % Student-t interval (0 for a single value)."""
    n = len(values)
    mean = sum(values) / n
    if n < 2:
        return mean, 0.0
    from scipy import stats

    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    return mean, float(stats.t.ppf(0.975, n - 1)) * sd / math.sqrt(n)


def run_reference(benchmark: str, scale: str, seeds: Sequence[int], extra: Sequence[str]) -> None:
    """Train the card's model once per seed through the normal command line (each an MLflow run)."""
    for seed in seeds:
        cmd = [sys.executable, "-m", "sciml_mlflow", f"benchmark={benchmark}",
               f"benchmark.dataset.scale={scale}", f"seed={seed}", *extra]
        print("running:", " ".join(cmd[1:]), flush=True)
        subprocess.run(cmd, check=True, cwd=ROOT)


def card_settings(cfg: Any) -> Dict[str, str]:
    """The params that make a training run "the card's model": model, training settings and options."""
    from omegaconf import OmegaConf

    out = {"benchmark.model": str(cfg.benchmark.model)}
    for group in ("training", "options"):
        for key, value in (OmegaConf.to_container(cfg.benchmark[group], resolve=True) or {}).items():
            out[f"benchmark.{group}.{key}"] = str(value)
    return out


def _same(a: str, b: str) -> bool:
    try:
        return float(a) == float(b)
    except ValueError:
        return a.lower() == b.lower()


def reference_scores(uri: str, benchmark: str, scale: str, digest: str, metric: str,
                     settings: Mapping[str, str]) -> Dict[str, float]:
    """seed -> the model's ``metric`` of the latest FINISHED training run per seed on this dataset digest
    whose recorded params match ``settings`` (runs with other epochs, options or models are left out)."""
    from sciml_mlflow.errors import TrackingError
    from sciml_mlflow.tracking.runstore import load_runs

    try:
        runs = load_runs(uri, tag_equals={"benchmark": benchmark, "mode": "train", "dataset.scale": scale})
    except TrackingError as exc:  # no store yet: the panel still stands on its own
        print(f"note: no model runs read ({exc})", file=sys.stderr)
        return {}
    by_seed: Dict[str, Tuple[int, float]] = {}
    for r in runs:
        if r.tags.get("dataset.digest") != digest or metric not in r.metrics:
            continue
        if not all(_same(r.params[k], v) for k, v in settings.items() if k in r.params):
            continue
        seed = r.tags.get("seed", "?")
        if seed not in by_seed or r.start_time > by_seed[seed][0]:
            by_seed[seed] = (r.start_time, r.metrics[metric])
    return {s: v for s, (_, v) in sorted(by_seed.items())}


def table(panel: Dict[str, List[float]], reference: Dict[str, float], metric: str) -> str:
    ref = mean_ci(list(reference.values())) if reference else None
    lines = [f"| learner | {metric} (mean ± 95% CI) | n | margin below the model |", "|---|---|---|---|"]
    for name, values in panel.items():
        m, ci = mean_ci(values)
        margin = f"{ref[0] - m:+.4g}" if ref else "n/a"
        lines.append(f"| {name} | {m:.4g} ± {ci:.2g} | {len(values)} | {margin} |")
    if ref:
        lines.append(f"| **model** (seeds {', '.join(reference)}) | {ref[0]:.4g} ± {ref[1]:.2g} | {len(reference)} | — |")
    else:
        lines.append("| **model** | no finished training run on this dataset digest in the store | 0 | — |")
    return "\n".join(lines)


def main(argv: Sequence[str] = ()) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--benchmark", required=True)
    ap.add_argument("--scale", default="small")
    ap.add_argument("--seeds", type=int, default=3, help="panel seeds, and reference seeds 1..N with --run-reference")
    ap.add_argument("--run-reference", action="store_true", help="train the card's model once per seed first")
    ap.add_argument("--tracking-uri", default=None, help="store to read the model's runs from (default: local)")
    ap.add_argument("--data-root", default=None, help="data root (default: the checkout's data/)")
    ap.add_argument("--json", default=None, help="also write the numbers to this file")
    ap.add_argument("overrides", nargs="*", help="extra Hydra overrides for --run-reference runs")
    args = ap.parse_args(list(argv) or None)
    if args.seeds < 1:
        print(f"error: --seeds must be >= 1, got {args.seeds}", file=sys.stderr)
        return 2

    from sciml_mlflow.core.registry import get
    from sciml_mlflow.data.staging import prepare
    from sciml_mlflow.run.compose import compose
    from sciml_mlflow.tracking.runstore import default_uri

    try:
        spec = get(args.benchmark)
        panel = spec.load("panel")
    except Exception as exc:  # unknown benchmark, or one without a panel
        print(f"error: benchmark {args.benchmark!r} has no difficulty panel ({exc}); expected "
              f"benchmarks/{args.benchmark}/panel.py with METRIC and learners(root, seed)", file=sys.stderr)
        return 2
    cfg = compose([f"benchmark={args.benchmark}", f"benchmark.dataset.scale={args.scale}"])
    staged = prepare(cfg.benchmark.dataset.name, args.scale, benchmark=args.benchmark, root=args.data_root)
    print(f"{args.benchmark} at {args.scale}: dataset {staged.name} in {staged.path} (digest {staged.digest})", flush=True)

    if args.run_reference:
        run_reference(args.benchmark, args.scale, range(1, args.seeds + 1), args.overrides)
    results: Dict[str, List[float]] = {}
    # a panel with no random step (SEED_DEPENDENT = False) gives the same numbers for every seed: run it once
    for seed in range(args.seeds if getattr(panel, "SEED_DEPENDENT", True) else 1):
        for name, value in panel.learners(staged.path, seed=seed).items():
            results.setdefault(name, []).append(float(value))
    settings = card_settings(compose([f"benchmark={args.benchmark}", f"benchmark.dataset.scale={args.scale}",
                                      *args.overrides]))
    reference = reference_scores(args.tracking_uri or default_uri(), args.benchmark, args.scale, staged.digest or "",
                                 panel.METRIC, settings)
    print(table(results, reference, panel.METRIC))
    if args.json:
        Path(args.json).write_text(json.dumps({"benchmark": args.benchmark, "scale": args.scale, "metric": panel.METRIC,
                                               "digest": staged.digest, "panel": results, "model": reference}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
