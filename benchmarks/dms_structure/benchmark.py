"""Entry points of the DMS structure benchmark: ``train(ctx)`` and ``inference(ctx)``.

Crystal phase (monoclinic vs tetragonal, or several phases at once with ``options.multi_label``) from
X-ray diffuse multiple scattering patterns, after SciMLBench v1.2's ``dms_structure``.  The loop is the
framework's (``sciml_mlflow.training.fit``); this file holds the data, the model, the loss and the scores.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Dict, Tuple

import numpy as np
import torch
from torch import nn

from sciml_mlflow.core.context import RunContext
from sciml_mlflow.training import StepResult, TrainSet, fit, infer, parse_options, seed_everything, split_indices

from . import data, dataset, scores
from . import model as dms_model
from .model import ModelMeta

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Options:
    multi_label: bool = False  # several phases per pattern (sigmoid per label) instead of one of two classes
    augment: bool = True  # random flips of both detector axes: exact symmetries of the class distribution


def _flips(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Flip each (B, 487, 195, 3) pattern along axis 0 and/or 1 at random.

    Why these are label-preserving: tetragonal patterns are symmetric under both mirrors up to the
    orientation error, whose distribution is symmetric; a monoclinic crystal keeps the axis-1 mirror and
    its two domain variants are each other's axis-0 mirror image (generate.sample_lattice).
    """
    for axis in (1, 2):
        flip = torch.rand(len(x), generator=gen) < 0.5
        if bool(flip.any()):
            x = x.clone() if axis == 1 else x
            x[flip] = x[flip].flip(axis)
    return x


def _loss_and_targets(multi_label: bool) -> Tuple[nn.Module, Any]:
    if multi_label:
        return nn.BCEWithLogitsLoss(), lambda y: y.float()
    return nn.CrossEntropyLoss(), lambda y: y.argmax(dim=1)


def _logits(ctx: RunContext, net: nn.Module, patterns: data.Patterns, idx: np.ndarray, warmup: int = 0) -> Any:
    """(logits, labels) numpy arrays over ``idx`` in order, and the inference record."""
    workers = ctx.hardware.dataloader_workers
    batches = data.loader(patterns, idx, ctx.hparams.batch_size, False, ctx.seed, workers)
    run = infer(ctx, lambda b: (net(b[0]).float().cpu().numpy(), b[1].cpu().numpy()), batches,
                total=len(batches), warmup=warmup, size=lambda o: len(o[0]))
    return np.concatenate([o for o, _ in run.outputs]), np.concatenate([y for _, y in run.outputs]), run


def train(ctx: RunContext) -> None:
    """Train the CNN on ``train/``, early-stop on a seeded validation split, score on ``test/``."""
    opts = parse_options(Options, ctx.options, "dms_structure")
    multi_label = opts.multi_label
    hp = ctx.hparams
    seed_everything(ctx.seed)
    rng = np.random.default_rng(ctx.seed)
    with ctx.phase("data_loading"):
        path = dataset.data_file(ctx.data_dir, multi_label)
        train_data, test_data = data.open_split(path, "train"), data.open_split(path, "test")
        names = list(dataset.label_names(multi_label))
    with ctx.phase("preprocessing"):
        val_idx, train_idx = split_indices(len(train_data), hp.validation_fraction, rng)
        mean, std = data.channel_stats(train_data, train_idx, rng)
        meta = ModelMeta(ctx.model, dataset.SHAPE, len(names), multi_label, names, mean, std)
        net = dms_model.build_model(meta).to(ctx.device)
        n_params = dms_model.count_parameters(net)
        log.info("dms_structure: model %s, %d parameters, %d train / %d val / %d test patterns",
                 ctx.model, n_params, len(train_idx), len(val_idx), len(test_data))
        ctx.metrics.log_dict({"model_parameters": n_params, "train_samples": len(train_idx),
                              "val_samples": len(val_idx), "test_samples": len(test_data)})
    loss_fn, targets = _loss_and_targets(multi_label)
    flip_gen = torch.Generator().manual_seed(ctx.seed)

    def step(model: nn.Module, batch: Tuple[torch.Tensor, torch.Tensor]) -> StepResult:
        x, y = batch
        out = model(_flips(x, flip_gen) if opts.augment else x).float()
        if multi_label:
            return StepResult(loss_fn(out, targets(y)), len(y),
                              {"train_hamming_accuracy": ((out > 0) == (y > 0.5)).sum() / len(names)})
        correct = (out.argmax(dim=1) == y.argmax(dim=1)).sum()
        return StepResult(loss_fn(out, targets(y)), len(y), {"train_accuracy": correct})

    def evaluate(model: nn.Module) -> Dict[str, float]:
        logits, labels, _ = _logits(ctx, model, train_data, val_idx)
        val_loss = float(loss_fn(torch.from_numpy(logits), targets(torch.from_numpy(labels))))
        return {"val_loss": val_loss, **scores.summary(logits, labels, multi_label, "val", names)}

    train_set = TrainSet(len(train_idx), lambda order: data.loader(  # the framework shuffles (and shards under DDP)
        train_data, train_idx[order], hp.batch_size, False, ctx.seed, ctx.hardware.dataloader_workers), hp.batch_size)
    result = fit(ctx, net, train_set, step, evaluate if len(val_idx) else None)

    with ctx.phase("evaluation"):
        logits, labels, _ = _logits(ctx, net, test_data, np.arange(len(test_data)))
        test_loss = float(loss_fn(torch.from_numpy(logits), targets(torch.from_numpy(labels))))
        final = {"test_loss": test_loss, **result.summary, **scores.summary(logits, labels, multi_label, "test", names)}
        final.update(scores.majority_baseline(train_data.labels.numpy()[train_idx], labels, multi_label))
        ctx.metrics.log_dict(final, step=result.epochs_run)
        log.info("dms_structure: %s", ", ".join(f"{k}={v:.4g}" for k, v in final.items()))
    with ctx.phase("writing_outputs"):
        dms_model.save(net, meta, ctx.model_dir)
        ctx.log_model(net, test_data[[0]][0])  # the MLflow model; input example: one test pattern


def inference(ctx: RunContext) -> None:
    """Classify ``test/`` with the trained model; accuracy from argmax predictions vs labels."""
    seed_everything(ctx.seed)
    with ctx.phase("data_loading"):
        net, meta = dms_model.load(ctx.model_dir, ctx.device, ctx.load_model())
        multi_label = meta.multi_label
        asked = parse_options(Options, ctx.options, "dms_structure").multi_label
        if asked != multi_label:
            raise ValueError(f"dms_structure: the model in {ctx.model_dir} was trained with multi_label={multi_label} "
                             f"but options.multi_label={asked}; use the matching setting")
        test_data = data.open_split(dataset.data_file(ctx.data_dir, multi_label), "test")
    with ctx.phase("evaluation"):
        logits, labels, run = _logits(ctx, net, test_data, np.arange(len(test_data)), warmup=1)
    pred, true = scores.predict(logits, multi_label), scores.truth(labels, multi_label)
    metrics: Dict[str, float] = {**scores.summary(logits, labels, multi_label, "inference", meta.label_names),
                                 "inference_samples": len(pred)}
    if run.rate is not None:
        metrics["inference_throughput_samples_per_s"] = run.rate
    ctx.metrics.log_dict(metrics)
    log.info("dms_structure: %s", ", ".join(f"{k}={v:.4g}" for k, v in metrics.items()))
    with ctx.phase("writing_outputs"):
        data.write_predictions(ctx.artifacts_dir / "predictions.csv", logits, pred, true, meta.label_names, multi_label)


__all__: Tuple[str, ...] = ("train", "inference")
