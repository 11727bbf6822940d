"""The files ``sciml-mlflow new <name>`` writes: a working benchmark an author then makes their own.

The template is a real (small) scientific task — the decay rate of a damped oscillation from its noisy
samples, with a linear least-squares baseline — so the contract test passes the moment it is written and
every file shows where the author's data access, model, loss and scores go.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, List

from sciml_mlflow.errors import ConfigError

NAME = re.compile(r"^[a-z][a-z0-9_]*$")

DATASET = '''"""Data of {name}: a generator writing the real layout (here ``data/<split>.npz``), one file per split.

Replace with your generator; keep ``SCALES`` (tiny/small/full) and ``generate(root, scale, seed)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict, List

import numpy as np

SAMPLES = 64  # points per signal
SCALES: Dict[str, Dict[str, int]] = {{
    "tiny": {{"train": 256, "test": 64}},
    "small": {{"train": 4096, "test": 1024}},
    "full": {{"train": 65536, "test": 16384}},
}}


def signals(rng: np.random.Generator, n: int):
    """Damped oscillations x(t) = exp(-rate t) cos(w t + phase) + noise, and their decay rates."""
    t = np.linspace(0.0, 4.0, SAMPLES)
    rate = rng.uniform(0.1, 1.5, n)
    w, phase = rng.uniform(2.0, 6.0, n), rng.uniform(0, 2 * np.pi, n)
    x = np.exp(-rate[:, None] * t) * np.cos(w[:, None] * t + phase[:, None]) + rng.normal(0, 0.05, (n, SAMPLES))
    return x.astype(np.float32), rate.astype(np.float32)


def generate(root: Path, scale: str, seed: int = 0) -> List[Path]:
    rng = np.random.default_rng(seed)
    out = []
    for split, n in SCALES[scale].items():
        x, y = signals(rng, n)
        path = Path(root) / "data" / f"{{split}}.npz"
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{{path.name}}.tmp.npz")
        np.savez(tmp, x=x, y=y)
        tmp.replace(path)
        out.append(path)
    return out
'''

DATA = '''"""Data access of {name}: read a split, batch it."""

from __future__ import annotations

from pathlib import Path
from typing import List, Tuple

import numpy as np


def load(data_dir: Path, split: str) -> Tuple[np.ndarray, np.ndarray]:
    path = Path(data_dir) / "data" / f"{{split}}.npz"
    if not path.is_file():
        raise FileNotFoundError(f"{name}: {{path}} is missing; stage the dataset (sciml-mlflow data pull)")
    with np.load(path) as f:
        return f["x"], f["y"]


def batches(x: np.ndarray, y: np.ndarray, batch_size: int, rng=None) -> List[Tuple[np.ndarray, np.ndarray]]:
    order = rng.permutation(len(x)) if rng is not None else np.arange(len(x))
    return [(x[order[s : s + batch_size]], y[order[s : s + batch_size]]) for s in range(0, len(x), batch_size)]
'''

MODEL = '''"""Model of {name}: a small 1-D CNN, saved with what it needs to be rebuilt."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional, Tuple

import torch
from torch import nn


def build(width: int) -> nn.Module:
    return nn.Sequential(nn.Unflatten(1, (1, -1)), nn.Conv1d(1, width, 5, padding=2), nn.ReLU(),
                         nn.Conv1d(width, width, 5, padding=2), nn.ReLU(), nn.AdaptiveAvgPool1d(8), nn.Flatten(),
                         nn.Linear(8 * width, 1))


def save(net: nn.Module, width: int, model_dir: Path) -> None:
    torch.save(net.state_dict(), Path(model_dir) / "model.pt")
    (Path(model_dir) / "model.json").write_text(json.dumps({{"width": width}}))


def load(model_dir: Path, device: str, module: Optional[nn.Module] = None) -> Tuple[nn.Module, int]:
    """The trained net and its width; ``module`` (the run's MLflow model, ``ctx.load_model()``) replaces the
    raw weights when given."""
    meta = Path(model_dir) / "model.json"
    if not meta.is_file():
        raise FileNotFoundError(f"{name}: no trained model in {{model_dir}}; run mode=train first")
    width = int(json.loads(meta.read_text())["width"])
    if module is not None:
        return module.to(device).eval(), width
    net = build(width)
    net.load_state_dict(torch.load(Path(model_dir) / "model.pt", map_location=device))
    return net.to(device).eval(), width
'''

BENCHMARK = '''"""Entry points of {name}: ``train(ctx)`` and ``inference(ctx)``.

The loop is the framework's (``sciml_mlflow.training.fit``); this file holds the loss and the scores.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from typing import Dict

import numpy as np
import torch
from torch import nn

from sciml_mlflow.core.context import RunContext
from sciml_mlflow.training import StepResult, TrainSet, fit, infer, parse_options, seed_everything, split_indices

from . import data, model


@dataclass(frozen=True)
class Options:
    width: int = 16  # CNN channels


def _predict(ctx: RunContext, net: nn.Module, x: np.ndarray, warmup: int = 0):
    run = infer(ctx, lambda b: net(b[0])[:, 0].float().cpu().numpy(), data.batches(x, x, ctx.hparams.batch_size),
                warmup=warmup)
    return np.concatenate([o for o in run.outputs]), run.rate


def _scores(pred: np.ndarray, truth: np.ndarray, prefix: str) -> Dict[str, float]:
    err = pred - truth
    return {{f"{{prefix}}_rmse": float(np.sqrt(np.mean(err**2))), f"{{prefix}}_mae": float(np.mean(np.abs(err)))}}


def train(ctx: RunContext) -> None:
    opts = parse_options(Options, ctx.options, "{name}")
    seed_everything(ctx.seed)
    rng = np.random.default_rng(ctx.seed)
    with ctx.phase("data_loading"):
        x, y = data.load(ctx.data_dir, "train")
        x_test, y_test = data.load(ctx.data_dir, "test")
    val, tr = split_indices(len(x), ctx.hparams.validation_fraction, rng)
    net = model.build(opts.width).to(ctx.device)
    loss_fn = nn.MSELoss()

    def step(m: nn.Module, batch) -> StepResult:
        xb, yb = batch
        return StepResult(loss_fn(m(xb)[:, 0].float(), yb), len(xb))

    def evaluate(m: nn.Module) -> Dict[str, float]:
        pred, _ = _predict(ctx, m, x[val])
        return {{"val_loss": float(np.mean((pred - y[val]) ** 2)), **_scores(pred, y[val], "val")}}

    bs = ctx.hparams.batch_size  # fit orders the items per epoch (and gives each DDP rank its shard)
    train_set = TrainSet(len(tr), lambda order: data.batches(x[tr[order]], y[tr[order]], bs), bs)
    result = fit(ctx, net, train_set, step, evaluate if len(val) else None)
    with ctx.phase("evaluation"):
        pred, _ = _predict(ctx, net, x_test)
        baseline = np.full_like(y_test, float(np.mean(y[tr])))  # predict the training mean: the bar to beat
        final = {{**result.summary, **_scores(pred, y_test, "test"), **_scores(baseline, y_test, "baseline_test")}}
        ctx.metrics.log_dict(final, step=result.epochs_run)
    with ctx.phase("writing_outputs"):
        model.save(net, opts.width, ctx.model_dir)
        ctx.log_model(net, torch.as_tensor(x_test[:1], dtype=torch.float32))  # the MLflow model + input example


def inference(ctx: RunContext) -> None:
    with ctx.phase("data_loading"):
        net, _ = model.load(ctx.model_dir, ctx.device, ctx.load_model())
        x, y = data.load(ctx.data_dir, "test")
    with ctx.phase("evaluation"):
        pred, rate = _predict(ctx, net, x, warmup=1)
    ctx.metrics.log_dict({{**_scores(pred, y, "inference"), "inference_samples": len(x),
                          "inference_throughput_samples_per_s": rate or 0.0}})
    with ctx.phase("writing_outputs"), (ctx.artifacts_dir / "predictions.csv").open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["index", "true_rate", "predicted_rate"])
        writer.writerows([i, f"{{t:.6g}}", f"{{p:.6g}}"] for i, (t, p) in enumerate(zip(y, pred)))
'''

FLOPS = '''"""FLOPs probe of {name}: one signal through the card's model, counted by ``sciml_mlflow.telemetry.flops``.

``tests/benchmarks/test_flops.py`` checks the card's ``flops:`` numbers against this probe; after changing the
model, write the numbers that test reports into the card.
"""

from __future__ import annotations

from typing import Any, Mapping

import torch

from sciml_mlflow.telemetry.flops import FlopsProbe

from . import model
from .dataset import SAMPLES


def probe(variant: str, mode: str, options: Mapping[str, Any]) -> FlopsProbe:
    """A sample is one signal of ``SAMPLES`` points in both modes."""
    return FlopsProbe(model.build(int(options.get("width", 16))), torch.zeros(1, SAMPLES), 1)
'''

CARD = '''# {name}: decay rate of a damped oscillation from its noisy samples (template from `sciml-mlflow new`).
# Replace the task, keep the keys (schema: sciml_mlflow/config/schema.py BenchmarkConfig).
defaults:
  - /schema/benchmark@_here_
  - _self_
name: {name}
description: Decay rate of damped oscillations from noisy samples (1-D CNN vs the training mean)
dataset:
  name: {name}_sim
  scale: small
model: small
training:
  epochs: 5
  batch_size: 64
  learning_rate: 3.0e-3
  weight_decay: 0.0
  optimizer: adamw
  early_stopping_patience: 3
  validation_fraction: 0.15
target:
  metric: val_rmse
  value: 0.1
  mode: min
flops:  # FLOPs per sample (FlopCounterMode; train = forward + backward): recount with tests/benchmarks/test_flops.py
  model: small
  train: 5.128e5
  inference: 1.743e5
  options: {{width: 16}}
options:
  width: 16  # CNN channels
'''

DATASET_CARD = '''# Dataset card of {name}_sim (schema: sciml_mlflow/data/card.py).
name: {name}_sim
version: "1.0"
benchmark: {name}
description: Synthetic damped oscillations with their decay rates (template data of `sciml-mlflow new`).
licence: "synthetic data: as this repository"
layout:
  - file: data/train.npz
    keys: {{x: "(N, 64) float32 signal", y: "(N,) float32 decay rate"}}
  - file: data/test.npz
    keys: {{x: "(N, 64) float32 signal", y: "(N,) float32 decay rate"}}
'''

README = '''# {name}

Scaffolded by `sciml-mlflow new {name}`: a working benchmark to make your own.  It estimates the decay
rate of damped oscillations from 64 noisy samples with a small 1-D CNN, next to the training-mean baseline.

| file | what you change |
|---|---|
| `dataset.py` | the generator: `SCALES` and `generate(root, scale, seed)` writing the real data layout |
| `data.py` | data access: read a split, batch it |
| `model.py` | the model, with save/load |
| `flops.py` | the FLOPs probe: one sample through the model (the card's `flops:` is checked against it) |
| `benchmark.py` | `Options`, the loss (`step`), the scores (`evaluate`, test and baseline metrics) |
| `conf/benchmark/{name}.yaml` | the card: dataset, hyperparameters, target |

Run it: `python -m sciml_mlflow benchmark={name} benchmark.dataset.scale=tiny`.
The contract test (`tests/benchmarks/test_contract.py`) picks the folder up with no edit.
'''

FILES: Dict[str, str] = {
    "benchmarks/{name}/dataset.py": DATASET,
    "benchmarks/{name}/data.py": DATA,
    "benchmarks/{name}/model.py": MODEL,
    "benchmarks/{name}/benchmark.py": BENCHMARK,
    "benchmarks/{name}/flops.py": FLOPS,
    "benchmarks/{name}/README.md": README,
    "conf/benchmark/{name}.yaml": CARD,
    "conf/dataset/{name}_sim.yaml": DATASET_CARD,
}


def scaffold(name: str, root: Path) -> List[Path]:
    """Write the benchmark ``name`` under ``root`` (a checkout or a collection); refuses to overwrite."""
    if not NAME.match(name):
        raise ConfigError(f"benchmark name {name!r}: expected lower-case letters, digits and underscores, "
                          "starting with a letter (it is a folder and a Python package)")
    targets = {Path(root) / rel.format(name=name): text for rel, text in FILES.items()}
    existing = [str(p) for p in targets if p.exists()]
    if existing:
        raise ConfigError(f"benchmark {name!r} already exists ({', '.join(existing)}); pick another name or "
                          "remove those files")
    for path, text in targets.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.format(name=name))
    return sorted(targets)
