"""The training and inference loops every benchmark shares: ``fit(...)`` and ``infer(...)``.

A benchmark supplies data (batches per epoch), a model, a ``step`` (forward + loss of one batch) and an
``evaluate`` (validation scores); the framework owns the rest, so every benchmark reports the same
quantities the same way: the epoch/batch skeleton, the optimiser of the hyperparameters, autocast and the
grad scaler of the hardware profile, channels-last and ``torch.compile`` where the profile asks for them,
DDP wrapping, warm-up-excluded throughput timed with a device sync only at the edges of the timed window,
per-epoch standard metrics logged at ``step = epoch``, early stopping with the best weights restored,
the card's target watched, progress bars and the ``training`` phase.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

from sciml_mlflow.core.context import RunContext
from sciml_mlflow.errors import DistributedError
from sciml_mlflow.training.ddp import all_reduce_sum, world, wrap_model
from sciml_mlflow.training.device import DeviceTimer, to_device
from sciml_mlflow.training.early_stopping import EarlyStopping
from sciml_mlflow.training.optimizer import make_optimizer
from sciml_mlflow.training.precision import autocast, grad_scaler
from sciml_mlflow.training.sharding import TrainSet, epoch_order

log = logging.getLogger(__name__)


@dataclass
class StepResult:
    """What ``step(model, batch)`` returns: the batch's mean loss (differentiable), its sample count, and
    per-epoch sums (e.g. correct predictions) that the loop divides by the epoch's samples.

    Keep ``loss`` and ``sums`` as device tensors: the loop adds them up on the device and reads them once
    per epoch, so no batch waits for the host.
    """

    loss: Any
    samples: int
    sums: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FitOptions:
    """How the shared loop runs for one benchmark (the science stays in ``step`` and ``evaluate``)."""

    warmup_batches: int = 2  # first batches of epoch 1 left out of throughput (at most half the epoch)
    lr_schedule: Optional[Callable[[int], float]] = None  # per-batch learning-rate factor (LambdaLR)
    batches_per_epoch: Optional[Callable[[int], int]] = None  # batch functions whose iterable has no len()
    stop_at_target: bool = False  # MLPerf style: end training the epoch the card's target is reached


@dataclass
class FitResult:
    """What training did: the epochs run and kept, throughput, and the last epoch's metrics."""

    epochs_run: int = 0
    best_epoch: int = 0
    samples_seen: int = 0  # over all ranks under DDP
    throughput: Optional[float] = None  # samples/s over counted (post-warm-up) batches
    counted_samples: int = 0  # samples of the batches inside the timed windows
    timed_s: float = 0.0  # seconds inside the timed windows
    target_epoch: Optional[int] = None  # first epoch whose metrics reached ctx.target
    history: List[Dict[str, float]] = field(default_factory=list)

    @property
    def summary(self) -> Dict[str, float]:
        """The standard end-of-training metrics (logged by the benchmark with its test scores; throughput is
        already in the last epoch's metrics)."""
        return {"best_epoch": self.best_epoch, "epochs_run": self.epochs_run}


Step = Callable[[Any, Any], StepResult]
Evaluate = Callable[[Any], Mapping[str, float]]


def _prepare_model(ctx: RunContext, model: Any) -> Any:
    """Channels-last memory and ``torch.compile`` where the profile asks for them; DDP under a process group."""
    import torch

    if getattr(ctx.hardware, "channels_last", False) and ctx.device.startswith("cuda"):
        model = model.to(memory_format=torch.channels_last)
    train_model = wrap_model(model, ctx.device)
    if getattr(ctx.hardware, "compile", False):
        train_model = torch.compile(train_model)
    return train_model


def _epoch_batches(ctx: RunContext, data: Union[TrainSet, Callable[[int], Iterable[Any]]], epoch: int,
                   options: FitOptions) -> Tuple[Iterable[Any], Optional[int]]:
    """The epoch's batches for this process and how many there are (None when unknown)."""
    if isinstance(data, TrainSet):
        order = epoch_order(data.size, epoch, ctx.seed, data.shuffle)  # this rank's share, reshuffled per epoch
        batches = data.batches(order)
        n = _len(batches)
        return batches, n if n is not None else data.n_batches(len(order))
    if world().world_size > 1:
        raise DistributedError(
            f"{ctx.benchmark}: training.fit was given a batch function under DDP (world size {world().world_size}), "
            "so every rank would train on every batch; pass a training.TrainSet(size, batches, batch_size) "
            "and the framework gives each rank its shard")
    batches = data(epoch)
    return batches, options.batches_per_epoch(epoch) if options.batches_per_epoch else _len(batches)


def fit(ctx: RunContext, model: Any, data: Union[TrainSet, Callable[[int], Iterable[Any]]], step: Step,
        evaluate: Optional[Evaluate] = None, options: FitOptions = FitOptions()) -> FitResult:
    """Train ``model`` for ``ctx.hparams.epochs`` epochs.

    ``data`` is a :class:`TrainSet`: the framework draws each epoch's item order (seeded by ``ctx.seed``
    and the epoch) and, under DDP, this rank's shard of it; the benchmark only batches those items.  A
    plain ``data(epoch)`` batch function is still accepted single-process (the benchmark then shuffles).

    Per epoch it logs ``train_loss``, the ``step``'s sums divided by the epoch's samples, ``samples_seen``,
    ``learning_rate``, ``train_throughput_samples_per_s`` and ``epoch_elapsed_s``, then ``evaluate(model)``'s
    scores (``val_loss`` among them is the early-stopping monitor; ``train_loss`` without it).  The best
    epoch's weights are in ``model`` when it returns (in eval mode).
    """
    import torch

    hp = ctx.hparams
    channels_last = bool(getattr(ctx.hardware, "channels_last", False))
    train_model = _prepare_model(ctx, model)
    opt = make_optimizer(model.parameters(), hp)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, options.lr_schedule) if options.lr_schedule else None
    scaler = grad_scaler(ctx)
    stopper = EarlyStopping(model, hp.early_stopping_patience)
    timer = DeviceTimer(ctx.device)
    result, counted = FitResult(), 0
    with ctx.phase("training"):
        t_start = time.perf_counter()
        for epoch in range(1, hp.epochs + 1):
            train_model.train()
            batches, n_batches = _epoch_batches(ctx, data, epoch, options)
            warmup = min(options.warmup_batches, (n_batches or 0) // 2) if epoch == 1 else 0
            loss_sum: Any = 0.0
            sums: Dict[str, Any] = {}
            ep_n = 0
            for b, batch in enumerate(ctx.progress(batches, total=n_batches, description=f"epoch {epoch}/{hp.epochs}")):
                if b == warmup:
                    timer.start()
                opt.zero_grad(set_to_none=True)
                with autocast(ctx):
                    out = step(train_model, to_device(batch, ctx.device, channels_last))
                scaler.scale(out.loss).backward()
                scaler.step(opt)
                scaler.update()
                if sched is not None:
                    sched.step()
                loss_sum = loss_sum + out.loss.detach().float() * out.samples
                for k, v in out.sums.items():
                    sums[k] = sums.get(k, 0.0) + (v.detach() if hasattr(v, "detach") else v)
                ep_n += out.samples
                counted += out.samples if b >= warmup else 0
            if timer.running:
                timer.stop()
            # Under DDP the epoch's sums are over all ranks' shards (one collective), so every rank logs and
            # monitors the same train_loss: early stopping and target watching then agree across ranks.
            names = sorted(sums)
            totals = all_reduce_sum([float(loss_sum), float(ep_n), float(counted)] + [float(sums[k]) for k in names])
            ep_n, world_counted = int(totals[1]), int(totals[2])
            result.samples_seen += ep_n
            metrics: Dict[str, float] = {"train_loss": totals[0] / max(ep_n, 1)}
            metrics.update({k: v / max(ep_n, 1) for k, v in zip(names, totals[3:])})
            metrics.update({"samples_seen": result.samples_seen, "learning_rate": opt.param_groups[0]["lr"]})
            monitor = metrics["train_loss"]
            if evaluate is not None:
                model.eval()
                with ctx.phase("validation"), torch.inference_mode():  # the MLLOG eval_start/eval_stop block
                    scores = dict(evaluate(model))
                metrics.update(scores)
                monitor = scores.get("val_loss", monitor)
            result.counted_samples, result.timed_s = world_counted, timer.seconds
            if world_counted and timer.seconds > 0:
                result.throughput = world_counted / timer.seconds  # all ranks' samples per second
                metrics["train_throughput_samples_per_s"] = result.throughput
            metrics["epoch_elapsed_s"] = time.perf_counter() - t_start
            ctx.metrics.log_dict(metrics, step=epoch)
            result.history.append(metrics)
            result.epochs_run = epoch
            log.info("%s: epoch %d %s", ctx.benchmark, epoch, ", ".join(f"{k}={v:.4g}" for k, v in metrics.items()))
            stop = stopper.step(monitor, epoch, model)
            if _reached(ctx, metrics) and result.target_epoch is None:
                result.target_epoch = epoch
                stop = stop or options.stop_at_target
            if stop:
                log.info("%s: training stops after epoch %d (best %d)", ctx.benchmark, epoch, stopper.best_epoch)
                break
        stopper.restore(model)
        result.best_epoch = stopper.best_epoch
    model.eval()
    return result


def _len(batches: Iterable[Any]) -> Optional[int]:
    try:
        return len(batches)  # type: ignore[arg-type]
    except TypeError:
        return None


def _reached(ctx: RunContext, metrics: Mapping[str, float]) -> bool:
    tgt = ctx.target
    if tgt is None or tgt.metric not in metrics:
        return False
    value = metrics[tgt.metric]
    return math.isfinite(value) and tgt.reached(value)


@dataclass
class Inference:
    """Outputs of ``infer`` in batch order, and the steady-state rate (warm-up pass excluded)."""

    outputs: List[Any]
    samples: int
    seconds: float

    @property
    def rate(self) -> Optional[float]:
        return self.samples / self.seconds if self.seconds > 0 else None


def infer(ctx: RunContext, predict: Callable[[Any], Any], batches: Iterable[Any], total: Optional[int] = None,
          description: str = "inference", warmup: int = 1, size: Callable[[Any], int] = len) -> Inference:
    """``predict(batch)`` over every batch (moved to the device, under inference mode and autocast).

    ``warmup`` untimed passes over the first batch (kernel selection, allocator, page faults) run first;
    then every batch is timed as one window, with the device synchronised only at its two edges.
    """
    import torch

    it: Iterator[Any] = iter(batches)
    first = next(it, None)
    if first is None:
        return Inference([], 0, 0.0)
    channels_last = bool(getattr(ctx.hardware, "channels_last", False))
    timer = DeviceTimer(ctx.device)
    with torch.inference_mode(), autocast(ctx):
        first = to_device(first, ctx.device, channels_last)
        for _ in range(warmup):
            predict(first)
        outputs: List[Any] = []
        with timer:
            outputs.append(predict(first))
            for batch in ctx.progress(it, total=None if total is None else total - 1, description=description):
                outputs.append(predict(to_device(batch, ctx.device, channels_last)))
    return Inference(outputs, sum(size(o) for o in outputs), timer.seconds)


def split_indices(n: int, fraction: float, rng: Any) -> Sequence[Any]:
    """(validation, training) indices of ``n`` items from one permutation drawn from ``rng`` (numpy
    Generator), validation first, both sorted.  At least one item stays for training; ``fraction`` 0 gives
    no validation split."""
    import numpy as np

    perm = rng.permutation(n)
    n_val = min(n - 1, int(round(fraction * n))) if fraction > 0 else 0
    return np.sort(perm[:n_val]), np.sort(perm[n_val:])
