"""Entry points of the DMS structure benchmark: ``train(ctx)`` and ``inference(ctx)``.

Crystal phase (monoclinic vs tetragonal, or several phases at once with ``options.multi_label``) from
X-ray diffuse multiple scattering patterns, after SciMLBench v1.2's ``dms_structure``.
"""

from __future__ import annotations

import csv
import logging
import time
from pathlib import Path
from typing import Any, Dict, List, Tuple, Union

import numpy as np
import torch
from torch import nn

from sciml_mlflow.training import (
    EarlyStopping,
    ThroughputMeter,
    autocast,
    grad_scaler,
    make_optimizer,
    seed_everything,
    synchronize,
)

from . import dataset, scores
from . import model as dms_model
from .dataset import H5Split
from .model import ModelMeta

log = logging.getLogger(__name__)

KNOWN_OPTIONS = {"multi_label"}
IN_MEMORY_LIMIT_BYTES = 6 * 2**30  # larger splits are streamed from the HDF5 file batch by batch
WARMUP_BATCHES = 3  # first batches of the first epoch (or of inference) left out of throughput
STATS_SAMPLES = 512  # patterns used for the normalisation statistics


# --------------------------------------------------------------------------- data


class _H5Patterns(torch.utils.data.Dataset):
    """A split streamed from the HDF5 file; indexed by a *list* of indices so one read fetches a batch."""

    def __init__(self, split: H5Split) -> None:
        self.split = split
        self.n = len(split)
        self.labels = torch.from_numpy(split.labels())
        self._file: Any = None  # opened lazily, once per DataLoader worker

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, idx: List[int]) -> Tuple[torch.Tensor, torch.Tensor]:
        import h5py  # only the streamed path needs it here

        if self._file is None:
            self._file = h5py.File(self.split.path, "r")
        order = np.argsort(idx)
        sorted_idx = np.asarray(idx)[order]
        images = self._file[f"{self.split.split}/images"][sorted_idx]
        images = images[np.argsort(order)]
        return torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32)), self.labels[idx]


class _InMemory(torch.utils.data.Dataset):
    def __init__(self, images: torch.Tensor, labels: torch.Tensor) -> None:
        self.images, self.labels = images, labels

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, idx: List[int]) -> Tuple[torch.Tensor, torch.Tensor]:
        return self.images[idx], self.labels[idx]


Patterns = Union[_H5Patterns, _InMemory]


def _open_split(path: Path, split: str) -> Patterns:
    """Read a split into memory (a chunk at a time) when it fits, otherwise stream it."""
    part = H5Split(path, split)
    n = len(part)
    nbytes = n * int(np.prod(dataset.SHAPE)) * 4
    if nbytes > IN_MEMORY_LIMIT_BYTES:
        log.info("dms_structure: streaming %s (%d patterns, %.1f GB) from %s", split, n, nbytes / 1e9, path)
        return _H5Patterns(part)
    images = torch.empty((n,) + dataset.SHAPE, dtype=torch.float32)
    for start, chunk in part.iter_chunks():
        images[start : start + len(chunk)] = torch.from_numpy(chunk)
    return _InMemory(images, torch.from_numpy(part.labels()))


def _loader(
    data: Patterns, indices: np.ndarray, batch_size: int, shuffle: bool, seed: int, workers: int
) -> torch.utils.data.DataLoader:
    """Batches of ``indices``; each batch is fetched with one indexing call (no per-sample collation)."""
    gen = torch.Generator().manual_seed(seed)
    base = torch.utils.data.SubsetRandomSampler(indices.tolist(), generator=gen) if shuffle else indices.tolist()
    sampler = torch.utils.data.BatchSampler(base, batch_size=batch_size, drop_last=False)
    return torch.utils.data.DataLoader(
        data, sampler=sampler, batch_size=None, num_workers=workers if isinstance(data, _H5Patterns) else 0
    )


def _channel_stats(data: Patterns, indices: np.ndarray, rng: np.random.Generator) -> Tuple[List[float], List[float]]:
    """Per-channel mean and std of (a sample of) the training patterns: the model's input normalisation."""
    pick = np.sort(rng.choice(indices, size=min(STATS_SAMPLES, len(indices)), replace=False))
    total = torch.zeros(3, dtype=torch.float64)
    total_sq = torch.zeros(3, dtype=torch.float64)
    for s in range(0, len(pick), 64):
        x, _ = data[pick[s : s + 64].tolist()]
        x = x.double()
        total += x.sum(dim=(0, 1, 2))
        total_sq += (x * x).sum(dim=(0, 1, 2))
    count = len(pick) * dataset.SHAPE[0] * dataset.SHAPE[1]
    mean = total / count
    std = (total_sq / count - mean**2).clamp_min(1e-12).sqrt()
    return mean.tolist(), std.tolist()


# --------------------------------------------------------------------------- run helpers


def _options(ctx: Any) -> Dict[str, Any]:
    opts = dict(ctx.options or {})
    unknown = set(opts) - KNOWN_OPTIONS
    if unknown:
        raise ValueError(
            f"dms_structure: unknown option(s) {', '.join(sorted(unknown))} in conf/benchmark/dms_structure.yaml; "
            f"known: {', '.join(sorted(KNOWN_OPTIONS))}"
        )
    opts.setdefault("multi_label", False)
    if not isinstance(opts["multi_label"], bool):
        raise ValueError(f"dms_structure: options.multi_label must be true or false, got {opts['multi_label']!r}")
    return opts










def _loss_fn(multi_label: bool) -> nn.Module:
    return nn.BCEWithLogitsLoss() if multi_label else nn.CrossEntropyLoss()


def _targets(labels: torch.Tensor, multi_label: bool) -> torch.Tensor:
    return labels.float() if multi_label else labels.argmax(dim=1)


@torch.inference_mode()
def _evaluate(
    net: nn.Module, loader: torch.utils.data.DataLoader, ctx: Any, multi_label: bool
) -> Tuple[float, np.ndarray, np.ndarray]:
    """Mean loss, logits and labels over a loader (model in eval mode)."""
    net.eval()
    loss_fn, total, n, outs, labs = _loss_fn(multi_label), 0.0, 0, [], []
    for x, y in loader:
        x, y = x.to(ctx.device, non_blocking=True), y.to(ctx.device)
        with autocast(ctx):
            out = net(x).float()
        total += float(loss_fn(out, _targets(y, multi_label))) * len(y)
        n += len(y)
        outs.append(out.cpu().numpy())
        labs.append(y.cpu().numpy())
    return total / max(n, 1), np.concatenate(outs), np.concatenate(labs)


# --------------------------------------------------------------------------- entry points


def train(ctx: Any) -> None:
    """Train the CNN on ``train/``, early-stop on a seeded validation split, score on ``test/``."""
    opts = _options(ctx)
    multi_label = opts["multi_label"]
    hp = ctx.hparams
    seed_everything(ctx.seed)
    rng = np.random.default_rng(ctx.seed)
    workers = int(getattr(ctx.hardware, "dataloader_workers", 0))

    with ctx.phase("data_loading"):
        path = dataset.data_file(ctx.data_dir, multi_label)
        train_data, test_data = _open_split(path, "train"), _open_split(path, "test")
        names = list(dataset.label_names(multi_label))

    with ctx.phase("preprocessing"):
        n = len(train_data)
        perm = rng.permutation(n)
        n_val = min(n - 1, int(round(hp.validation_fraction * n))) if hp.validation_fraction > 0 else 0
        val_idx, train_idx = np.sort(perm[:n_val]), np.sort(perm[n_val:])
        mean, std = _channel_stats(train_data, train_idx, rng)
        meta = ModelMeta(ctx.model, dataset.SHAPE, len(names), multi_label, names, mean, std)
        net = dms_model.build_model(meta).to(ctx.device)
        n_params = dms_model.count_parameters(net)
        log.info("dms_structure: model %s, %d parameters, %d train / %d val / %d test patterns",
                 ctx.model, n_params, len(train_idx), n_val, len(test_data))  # fmt: skip
        ctx.metrics.log_dict(
            {"model_parameters": n_params, "train_samples": len(train_idx), "val_samples": n_val,
             "test_samples": len(test_data)}
        )  # fmt: skip
        val_loader = _loader(train_data, val_idx, hp.batch_size, False, ctx.seed, workers) if n_val else None

    opt = make_optimizer(net.parameters(), hp)
    loss_fn = _loss_fn(multi_label)
    scaler = grad_scaler(ctx)
    stopper = EarlyStopping(net, hp.early_stopping_patience)
    samples_seen, epoch = 0, 0
    meter = ThroughputMeter()

    with ctx.phase("training"):
        t_start = time.perf_counter()
        for epoch in range(1, hp.epochs + 1):
            net.train()
            loader = _loader(train_data, train_idx, hp.batch_size, True, ctx.seed + epoch, workers)
            warmup = min(WARMUP_BATCHES, max(1, len(loader) // 2)) if epoch == 1 else 0
            ep_loss, ep_correct, ep_n = 0.0, 0.0, 0
            meter.start()
            bar = ctx.progress(loader, total=len(loader), description=f"epoch {epoch}/{hp.epochs}")
            for b, (x, y) in enumerate(bar):
                x, y = x.to(ctx.device, non_blocking=True), y.to(ctx.device)
                opt.zero_grad(set_to_none=True)
                with autocast(ctx):
                    out = net(x)
                    loss = loss_fn(out.float(), _targets(y, multi_label))
                scaler.scale(loss).backward()
                scaler.step(opt)
                scaler.update()
                synchronize(ctx.device)
                meter.tick(len(y), counted=b >= warmup)
                with torch.no_grad():
                    pred = scores.predict(out.detach().float().cpu().numpy(), multi_label)
                    ep_correct += float(np.sum(pred == scores.truth(y.cpu().numpy(), multi_label))) / (
                        len(names) if multi_label else 1
                    )
                ep_loss += float(loss.detach()) * len(y)
                ep_n += len(y)
                samples_seen += len(y)
            metrics = {
                "train_loss": ep_loss / ep_n,
                "train_accuracy": ep_correct / ep_n,
                "samples_seen": samples_seen,
            }
            monitor = metrics["train_loss"]
            if val_loader is not None:
                val_loss, val_out, val_lab = _evaluate(net, val_loader, ctx, multi_label)
                metrics["val_loss"] = val_loss
                metrics.update(scores.summary(val_out, val_lab, multi_label, "val", names))
                monitor = val_loss
            if meter.rate is not None:
                metrics["train_throughput_samples_per_s"] = meter.rate
            metrics["epoch_elapsed_s"] = time.perf_counter() - t_start
            ctx.metrics.log_dict(metrics, step=epoch)
            log.info("dms_structure: epoch %d %s", epoch, ", ".join(f"{k}={v:.4g}" for k, v in metrics.items()))
            if stopper.step(monitor, epoch, net):
                log.info("dms_structure: early stop after epoch %d (best %d)", epoch, stopper.best_epoch)
                break
        stopper.restore(net)

    with ctx.phase("evaluation"):
        test_loader = _loader(test_data, np.arange(len(test_data)), hp.batch_size, False, ctx.seed, workers)
        test_loss, test_out, test_lab = _evaluate(net, test_loader, ctx, multi_label)
        final = {"test_loss": test_loss, "best_epoch": stopper.best_epoch, "epochs_run": epoch}
        final.update(scores.summary(test_out, test_lab, multi_label, "test", names))
        final.update(scores.majority_baseline(train_data.labels.numpy()[train_idx], test_lab, multi_label))
        ctx.metrics.log_dict(final, step=epoch)
        log.info("dms_structure: %s", ", ".join(f"{k}={v:.4g}" for k, v in final.items()))

    with ctx.phase("writing_outputs"):
        dms_model.save(net, meta, ctx.model_dir)


def inference(ctx: Any) -> None:
    """Classify ``test/`` with the trained model; accuracy from argmax predictions vs labels."""
    seed_everything(ctx.seed)
    with ctx.phase("data_loading"):
        net, meta = dms_model.load(ctx.model_dir, ctx.device)
        multi_label = meta.multi_label
        opts = _options(ctx)
        if opts["multi_label"] != multi_label:
            raise ValueError(
                f"dms_structure: the model in {ctx.model_dir} was trained with multi_label={multi_label} "
                f"but options.multi_label={opts['multi_label']}; use the matching setting"
            )
        path = dataset.data_file(ctx.data_dir, multi_label)
        data = _open_split(path, "test")

    workers = int(getattr(ctx.hardware, "dataloader_workers", 0))
    loader = _loader(data, np.arange(len(data)), ctx.hparams.batch_size, False, ctx.seed, workers)
    warmup = min(WARMUP_BATCHES, max(1, len(loader) // 2))
    outs: List[np.ndarray] = []
    meter = ThroughputMeter()
    with ctx.phase("evaluation"), torch.inference_mode():
        meter.start()
        for b, (x, _) in enumerate(ctx.progress(loader, total=len(loader), description="inference")):
            with autocast(ctx):
                out = net(x.to(ctx.device, non_blocking=True)).float().cpu().numpy()
            synchronize(ctx.device)
            meter.tick(len(out), counted=b >= warmup)
            outs.append(out)
    logits = np.concatenate(outs)
    labels = data.labels.numpy()
    pred, true = scores.predict(logits, multi_label), scores.truth(labels, multi_label)
    metrics: Dict[str, float] = {"inference_accuracy": scores.accuracy(pred, true), "inference_samples": len(pred)}
    if multi_label:
        metrics["inference_macro_f1"] = float(scores.f1_per_label(pred, true).mean())
    if meter.rate is not None:
        metrics["inference_throughput_samples_per_s"] = meter.rate
    ctx.metrics.log_dict(metrics)
    log.info("dms_structure: %s", ", ".join(f"{k}={v:.4g}" for k, v in metrics.items()))

    with ctx.phase("writing_outputs"):
        _write_predictions(ctx.artifacts_dir / "predictions.csv", logits, pred, true, meta.label_names, multi_label)


def _write_predictions(
    path: Path, logits: np.ndarray, pred: np.ndarray, true: np.ndarray, names: List[str], multi_label: bool
) -> None:
    """One row per test pattern: index, labels, predictions and probabilities (sigmoid or softmax)."""
    if multi_label:
        probs = 1.0 / (1.0 + np.exp(-logits))
        header = ["index"] + [f"{kind}_{n}" for kind in ("true", "pred", "prob") for n in names]
        rows = ([i, *t, *p, *q] for i, (t, p, q) in enumerate(zip(true, pred, probs)))
    else:
        z = np.exp(logits - logits.max(axis=1, keepdims=True))
        probs = z / z.sum(axis=1, keepdims=True)
        header = ["index", "true", "pred"] + [f"prob_{n}" for n in names]
        rows = ([i, t, p, *q] for i, (t, p, q) in enumerate(zip(true, pred, probs)))
    tmp = path.with_suffix(".csv.tmp")
    with tmp.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for row in rows:
            writer.writerow([f"{v:.6g}" if isinstance(v, (float, np.floating)) else int(v) for v in row])
    tmp.replace(path)


__all__: Tuple[str, ...] = ("train", "inference")
