"""Entry points of the EM denoising benchmark: ``train(ctx)`` and ``inference(ctx)``.

Remove shot noise, read noise and dead pixels from low-dose electron micrographs of graphene, after
SciMLBench v1.2's ``em_denoise`` — but scored, in both modes, against the CLEAN ground truth (the
original's inference compared the output with the noisy input), and next to two baselines: the noisy
input itself and a classical median + Gaussian filter tuned on the training images.
"""

from __future__ import annotations

import logging
import math
import time
from pathlib import Path
from typing import Any, Dict, Tuple

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

from . import classical, dataset, quality
from . import model as em_model
from .model import ModelMeta

log = logging.getLogger(__name__)

DEFAULT_OPTIONS: Dict[str, Any] = {
    "crop_size": 64,  # training crop side in pixels (multiple of 8); 0 = whole images
    "crops_per_image": 4,  # random crops drawn from every training image per epoch
    "lr_schedule": "cosine",  # cosine: 5 % linear warm-up, then anneal to 0 over the run; constant: the original's
    "tune_images": 64,  # training images the classical filter is tuned on
    "previews": 4,  # test images rendered as PNG previews by inference
    "write_denoised": True,  # inference writes the denoised test set as HDF5 (real layout) to the artifacts
}
WARMUP_BATCHES = 2  # first training batches left out of the training throughput


# --------------------------------------------------------------------------- run helpers


def _options(ctx: Any) -> Dict[str, Any]:
    opts = dict(ctx.options or {})
    unknown = set(opts) - set(DEFAULT_OPTIONS)
    if unknown:
        raise ValueError(
            f"em_denoise: unknown option(s) {', '.join(sorted(unknown))} in conf/benchmark/em_denoise.yaml; "
            f"known: {', '.join(sorted(DEFAULT_OPTIONS))}"
        )
    merged = {**DEFAULT_OPTIONS, **opts}
    crop = int(merged["crop_size"])
    if crop < 0 or crop % 8:
        raise ValueError(f"em_denoise: options.crop_size must be 0 or a positive multiple of 8, got {crop}")
    if merged["lr_schedule"] not in ("cosine", "constant"):
        raise ValueError(f"em_denoise: options.lr_schedule must be cosine or constant, got {merged['lr_schedule']!r}")
    return merged










def _data_range(data_dir: Path, clean_train: np.ndarray) -> float:
    """The PSNR/SSIM peak: the generator's declared range, else the brightest clean training pixel."""
    declared = dataset.attributes(data_dir).get("data_range")
    return float(declared) if declared else float(np.max(clean_train))


def _crops(
    noisy: torch.Tensor, clean: torch.Tensor, idx: np.ndarray, crop: int, rng: np.random.Generator
) -> Tuple[torch.Tensor, torch.Tensor]:
    """Random crops of images ``idx`` with a random one of the 8 flips/rotations (the lattice has no
    preferred orientation and the beam is random, so these are exact symmetries of the data)."""
    h, w = noisy.shape[1:]
    if crop and crop < h:
        r = rng.integers(0, h - crop + 1, size=len(idx))
        c = rng.integers(0, w - crop + 1, size=len(idx))
        x = torch.stack([noisy[i, a : a + crop, b : b + crop] for i, a, b in zip(idx, r, c)])
        y = torch.stack([clean[i, a : a + crop, b : b + crop] for i, a, b in zip(idx, r, c)])
    else:
        x, y = noisy[idx], clean[idx]
    k, flip = int(rng.integers(0, 4)), bool(rng.integers(0, 2))
    x, y = torch.rot90(x, k, dims=(1, 2)), torch.rot90(y, k, dims=(1, 2))
    if flip:
        x, y = x.flip(2), y.flip(2)
    return x.unsqueeze(1), y.unsqueeze(1)


@torch.inference_mode()
def _denoise(net: nn.Module, noisy: np.ndarray, meta: ModelMeta, ctx: Any, batch_size: int) -> Tuple[np.ndarray, float]:
    """Denoise (N, H, W) images in batches; returns (images, samples/s with the warm-up batch excluded).

    One untimed pass over the first batch warms up kernels and allocators, so the rate is steady state.
    """
    net.eval()
    out = np.empty_like(noisy, dtype=np.float32)
    batches = [(s, min(s + batch_size, len(noisy))) for s in range(0, len(noisy), batch_size)]

    def run(s: int, e: int) -> np.ndarray:
        x = torch.from_numpy(noisy[s:e, None] / meta.data_range).to(ctx.device, non_blocking=True)
        with autocast(ctx):
            y = net(x)
        return y.float()[:, 0].cpu().numpy() * meta.data_range

    run(*batches[0])  # warm-up, untimed
    synchronize(ctx.device)
    t0 = time.perf_counter()
    for s, e in ctx.progress(batches, total=len(batches), description="denoise"):
        out[s:e] = run(s, e)
    synchronize(ctx.device)
    return out, len(noisy) / max(time.perf_counter() - t0, 1e-9)


def _scores(pred: np.ndarray, clean: np.ndarray, data_range: float, prefix: str) -> Dict[str, float]:
    return quality.summary(pred, clean, data_range, prefix)


# --------------------------------------------------------------------------- entry points


def train(ctx: Any) -> None:
    """Train the U-Net on random crops of ``train/`` (MSE to the clean truth), early-stop on a seeded
    validation split scored on whole images, then score model and baselines on ``test/``."""
    opts = _options(ctx)
    hp = ctx.hparams
    seed_everything(ctx.seed)
    rng = np.random.default_rng(ctx.seed)

    with ctx.phase("data_loading"):
        noisy_all, clean_all = dataset.load_split(ctx.data_dir, "train")
        noisy_test, clean_test = dataset.load_split(ctx.data_dir, "test")

    with ctx.phase("preprocessing"):
        data_range = _data_range(ctx.data_dir, clean_all)
        n = len(noisy_all)
        perm = rng.permutation(n)
        n_val = min(n - 1, int(round(hp.validation_fraction * n))) if hp.validation_fraction > 0 else 0
        val_idx, train_idx = np.sort(perm[:n_val]), np.sort(perm[n_val:])
        tune_idx = train_idx[: int(opts["tune_images"])]
        filt = classical.tune(noisy_all[tune_idx], clean_all[tune_idx])
        noisy_t = torch.from_numpy(noisy_all / data_range)
        clean_t = torch.from_numpy(clean_all / data_range)
        meta = ModelMeta(ctx.model, data_range)
        net = em_model.build_model(ctx.model).to(ctx.device)
        n_params = em_model.count_parameters(net)
        crop = int(opts["crop_size"])
        log.info("em_denoise: model %s, %d parameters, %d train / %d val / %d test images, crops %s, data_range %.4g",
                 ctx.model, n_params, len(train_idx), n_val, len(noisy_test), crop or "whole", data_range)  # fmt: skip
        ctx.metrics.log_dict({
            "model_parameters": n_params, "train_samples": len(train_idx), "val_samples": n_val,
            "test_samples": len(noisy_test), "data_range": data_range, "train_crop_size": crop or noisy_all.shape[1],
            "baseline_filter_sigma": filt.sigma, "baseline_filter_median_size": filt.median_size,
        })  # fmt: skip

    opt = make_optimizer(net.parameters(), hp)
    per_epoch = np.repeat(train_idx, int(opts["crops_per_image"]))
    n_batches = math.ceil(len(per_epoch) / hp.batch_size)
    total_steps = max(1, hp.epochs * n_batches)
    warm_steps = max(1, total_steps // 20)  # a short linear warm-up: Adam at lr 1e-2 with BatchNorm is unstable at first

    def _cosine(step: int) -> float:
        return min(1.0, (step + 1) / warm_steps) * 0.5 * (1.0 + math.cos(math.pi * min(step, total_steps) / total_steps))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, _cosine) if opts["lr_schedule"] == "cosine" else None
    loss_fn = nn.MSELoss()
    scaler = grad_scaler(ctx)
    stopper = EarlyStopping(net, hp.early_stopping_patience)
    samples_seen, epoch = 0, 0
    meter = ThroughputMeter()

    with ctx.phase("training"):
        t_start = time.perf_counter()
        for epoch in range(1, hp.epochs + 1):
            net.train()
            order = rng.permutation(per_epoch)
            warmup = min(WARMUP_BATCHES, n_batches - 1) if epoch == 1 else 0
            ep_loss, ep_n = 0.0, 0
            meter.start()
            batches = range(n_batches)
            for b in ctx.progress(batches, total=n_batches, description=f"epoch {epoch}/{hp.epochs}"):
                x, y = _crops(noisy_t, clean_t, order[b * hp.batch_size : (b + 1) * hp.batch_size], crop, rng)
                x, y = x.to(ctx.device, non_blocking=True), y.to(ctx.device, non_blocking=True)
                opt.zero_grad(set_to_none=True)
                with autocast(ctx):
                    loss = loss_fn(net(x).float(), y)
                scaler.scale(loss).backward()
                scaler.step(opt)
                scaler.update()
                if sched is not None:
                    sched.step()
                synchronize(ctx.device)
                meter.tick(len(x), counted=b >= warmup)
                ep_loss += float(loss.detach()) * len(x)
                ep_n += len(x)
                samples_seen += len(x)
            metrics: Dict[str, float] = {"train_loss": ep_loss / ep_n, "samples_seen": samples_seen,
                                         "learning_rate": opt.param_groups[0]["lr"]}  # fmt: skip
            monitor = metrics["train_loss"]
            if n_val:
                pred, _ = _denoise(net, noisy_all[val_idx], meta, ctx, hp.batch_size)
                metrics["val_loss"] = float(quality.mse_per_image(pred, clean_all[val_idx]).mean()) / data_range**2
                metrics.update({k: v for k, v in _scores(pred, clean_all[val_idx], data_range, "val").items()
                                if k != "val_mse"})  # fmt: skip
                monitor = metrics["val_loss"]
            if meter.rate is not None:
                metrics["train_throughput_samples_per_s"] = meter.rate
            metrics["epoch_elapsed_s"] = time.perf_counter() - t_start
            ctx.metrics.log_dict(metrics, step=epoch)
            log.info("em_denoise: epoch %d %s", epoch, ", ".join(f"{k}={v:.4g}" for k, v in metrics.items()))
            if stopper.step(monitor, epoch, net):
                log.info("em_denoise: early stop after epoch %d (best %d)", epoch, stopper.best_epoch)
                break
        stopper.restore(net)

    with ctx.phase("evaluation"):
        pred, rate = _denoise(net, noisy_test, meta, ctx, hp.batch_size)
        final: Dict[str, float] = {"best_epoch": stopper.best_epoch, "epochs_run": epoch,
                                   "inference_throughput_samples_per_s": rate}  # fmt: skip
        final.update(_scores(pred, clean_test, data_range, "test"))
        final.update(_scores(noisy_test, clean_test, data_range, "baseline_noisy_test"))
        final.update(_scores(filt.apply(noisy_test), clean_test, data_range, "baseline_filter_test"))
        final["test_psnr_gain_over_filter_db"] = final["test_psnr"] - final["baseline_filter_test_psnr"]
        final["test_ssim_gain_over_filter"] = final["test_ssim"] - final["baseline_filter_test_ssim"]
        if meter.rate is not None:
            final["train_throughput_samples_per_s"] = meter.rate
        ctx.metrics.log_dict(final, step=epoch)
        log.info("em_denoise: %s", ", ".join(f"{k}={v:.4g}" for k, v in final.items()))

    with ctx.phase("writing_outputs"):
        em_model.save(net, meta, ctx.model_dir)


def inference(ctx: Any) -> None:
    """Denoise ``test/`` with the trained model; score against the clean truth; write previews and outputs."""
    opts = _options(ctx)
    seed_everything(ctx.seed)
    with ctx.phase("data_loading"):
        net, meta = em_model.load(ctx.model_dir, ctx.device)
        noisy, clean = dataset.load_split(ctx.data_dir, "test")

    with ctx.phase("evaluation"):
        pred, rate = _denoise(net, noisy, meta, ctx, ctx.hparams.batch_size)
        metrics = {"inference_throughput_samples_per_s": rate, "inference_samples": len(noisy)}
        metrics.update(_scores(pred, clean, meta.data_range, "inference"))
        metrics.update(_scores(noisy, clean, meta.data_range, "baseline_noisy_test"))
        ctx.metrics.log_dict(metrics)
        log.info("em_denoise: %s", ", ".join(f"{k}={v:.4g}" for k, v in metrics.items()))

    with ctx.phase("writing_outputs"):
        from . import previews  # matplotlib only when writing

        previews.write(ctx.artifacts_dir / "previews", noisy, pred, clean, meta.data_range, int(opts["previews"]))
        if opts["write_denoised"]:
            dataset.write_images(ctx.artifacts_dir / "test" / dataset.DENOISED_FILE, pred)


__all__ = ("train", "inference")
