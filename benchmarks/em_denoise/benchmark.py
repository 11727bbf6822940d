"""Entry points of the EM denoising benchmark: ``train(ctx)`` and ``inference(ctx)``.

Remove shot noise, read noise and dead pixels from low-dose electron micrographs of graphene, after
SciMLBench v1.2's ``em_denoise`` — but scored, in both modes, against the CLEAN ground truth (the
original's inference compared the output with the noisy input), and next to two baselines: the noisy
input itself and a classical median + Gaussian filter tuned on the training images.  The loop is the
framework's (``sciml_mlflow.training.fit``); this file holds the data, the model, the loss and the scores.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Dict, Literal, Optional, Tuple

import numpy as np
import torch
from torch import nn

from sciml_mlflow.core.context import RunContext
from sciml_mlflow.training import (FitOptions, StepResult, TrainSet, fit, infer, option_defaults, option_error,
                                   parse_options, seed_everything, split_indices)

from . import classical, data, dataset, quality
from . import model as em_model
from .model import ModelMeta

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Options:
    crop_size: int = 64  # training crop side in pixels (multiple of 8); 0 = whole images
    crops_per_image: int = 4  # random crops drawn from every training image per epoch
    lr_schedule: Literal["cosine", "constant"] = "cosine"  # cosine: 5 % linear warm-up, then anneal to 0
    tune_images: int = 64  # training images the classical filter is tuned on
    previews: int = 4  # test images rendered as PNG previews by inference
    write_denoised: bool = True  # inference writes the denoised test set as HDF5 (real layout) to the artifacts

    def __post_init__(self) -> None:
        if self.crop_size < 0 or self.crop_size % 8:
            raise option_error("em_denoise", "crop_size", self.crop_size, "0 or a positive multiple of 8")


DEFAULT_OPTIONS = option_defaults(Options)


def _denoise(ctx: RunContext, net: nn.Module, noisy: np.ndarray, scale: float) -> Tuple[np.ndarray, Optional[float]]:
    """Denoised (N, H, W) images and the steady-state rate (one untimed warm-up batch)."""
    predict = lambda x: net(x).float()[:, 0].cpu().numpy() * scale  # noqa: E731
    run = infer(ctx, predict, data.image_batches(noisy, scale, ctx.hparams.batch_size),
                total=math.ceil(len(noisy) / ctx.hparams.batch_size), description="denoise")
    return np.concatenate(run.outputs), run.rate


def _cosine(total_steps: int):  # type: ignore[no-untyped-def]
    """5 % linear warm-up (Adam at lr 1e-2 with BatchNorm is unstable at first), then cosine to 0."""
    warm = max(1, total_steps // 20)
    return lambda s: min(1.0, (s + 1) / warm) * 0.5 * (1.0 + math.cos(math.pi * min(s, total_steps) / total_steps))


def train(ctx: RunContext) -> None:
    """Train the U-Net on random crops of ``train/`` (MSE to the clean truth), early-stop on a seeded
    validation split scored on whole images, then score model and baselines on ``test/``."""
    opts = parse_options(Options, ctx.options, "em_denoise")
    hp = ctx.hparams
    seed_everything(ctx.seed)
    rng = np.random.default_rng(ctx.seed)
    with ctx.phase("data_loading"):
        noisy_all, clean_all = dataset.load_split(ctx.data_dir, "train")
        noisy_test, clean_test = dataset.load_split(ctx.data_dir, "test")
    with ctx.phase("preprocessing"):
        peak = data.data_range(ctx.data_dir, clean_all)
        val_idx, train_idx = split_indices(len(noisy_all), hp.validation_fraction, rng)
        tune_idx = train_idx[: opts.tune_images]
        filt = classical.tune(noisy_all[tune_idx], clean_all[tune_idx])
        noisy_t, clean_t = torch.from_numpy(noisy_all / peak), torch.from_numpy(clean_all / peak)
        meta = ModelMeta(ctx.model, peak)
        net = em_model.build_model(ctx.model).to(ctx.device)
        n_params = em_model.count_parameters(net)
        log.info("em_denoise: model %s, %d parameters, %d train / %d val / %d test images, crops %s, data_range %.4g",
                 ctx.model, n_params, len(train_idx), len(val_idx), len(noisy_test), opts.crop_size or "whole", peak)
        ctx.metrics.log_dict({
            "model_parameters": n_params, "train_samples": len(train_idx), "val_samples": len(val_idx),
            "test_samples": len(noisy_test), "data_range": peak,
            "train_crop_size": opts.crop_size or noisy_all.shape[1],
            "baseline_filter_sigma": filt.sigma, "baseline_filter_median_size": filt.median_size})
    per_epoch = np.repeat(train_idx, opts.crops_per_image)
    train_set = TrainSet(len(per_epoch), lambda order: data.crop_batches(  # order: the framework's (sharded under DDP)
        noisy_t, clean_t, per_epoch[order], hp.batch_size, opts.crop_size, rng, shuffle=False), hp.batch_size)
    n_batches = train_set.batches_per_epoch()
    loss_fn = nn.MSELoss()

    def step(model: nn.Module, batch: Tuple[torch.Tensor, torch.Tensor]) -> StepResult:
        x, y = batch
        return StepResult(loss_fn(model(x).float(), y), len(x))

    def evaluate(model: nn.Module) -> Dict[str, float]:
        pred, _ = _denoise(ctx, model, noisy_all[val_idx], peak)
        clean = clean_all[val_idx]
        val = {k: v for k, v in quality.summary(pred, clean, peak, "val").items() if k != "val_mse"}
        return {"val_loss": float(quality.mse_per_image(pred, clean).mean()) / peak**2, **val}

    schedule = _cosine(max(1, hp.epochs * n_batches)) if opts.lr_schedule == "cosine" else None
    result = fit(ctx, net, train_set, step, evaluate if len(val_idx) else None, FitOptions(lr_schedule=schedule))

    with ctx.phase("evaluation"):
        pred, rate = _denoise(ctx, net, noisy_test, peak)
        final: Dict[str, float] = {**result.summary, "inference_throughput_samples_per_s": rate or 0.0}
        final.update(quality.summary(pred, clean_test, peak, "test"))
        final.update(quality.summary(noisy_test, clean_test, peak, "baseline_noisy_test"))
        final.update(quality.summary(filt.apply(noisy_test), clean_test, peak, "baseline_filter_test"))
        final["test_psnr_gain_over_filter_db"] = final["test_psnr"] - final["baseline_filter_test_psnr"]
        final["test_ssim_gain_over_filter"] = final["test_ssim"] - final["baseline_filter_test_ssim"]
        ctx.metrics.log_dict(final, step=result.epochs_run)
        log.info("em_denoise: %s", ", ".join(f"{k}={v:.4g}" for k, v in final.items()))
    with ctx.phase("writing_outputs"):
        em_model.save(net, meta, ctx.model_dir)
        example = np.ascontiguousarray(noisy_test[:1, None, :64, :64] / peak, dtype=np.float32)
        ctx.log_model(net, torch.from_numpy(example))  # the MLflow model; input example: a test crop


def inference(ctx: RunContext) -> None:
    """Denoise the inference set with the trained model; score against the clean truth; write previews and outputs.

    The inference set is the original's: ``raw/`` (noisy) and ``truth/`` (clean) image folders, under
    ``<data root>/inference`` or the data root itself.  Data without them (the real training set alone)
    falls back to ``test/``, and the log says so.
    """
    opts = parse_options(Options, ctx.options, "em_denoise")
    seed_everything(ctx.seed)
    with ctx.phase("data_loading"):
        net, meta = em_model.load(ctx.model_dir, ctx.device, ctx.load_model())
        folder = dataset.inference_folder(ctx.data_dir)
        if folder is not None:
            noisy, clean, _ = dataset.load_inference(folder)
            log.info("em_denoise: inference on %d images from %s/{raw,truth}", len(noisy), folder)
        else:
            noisy, clean = dataset.load_split(ctx.data_dir, "test")
            log.info("em_denoise: no raw/ + truth/ folders under %s; inference on test/ (HDF5) instead", ctx.data_dir)
    with ctx.phase("evaluation"):
        pred, rate = _denoise(ctx, net, noisy, meta.data_range)
        metrics = {"inference_throughput_samples_per_s": rate or 0.0, "inference_samples": len(noisy)}
        metrics.update(quality.summary(pred, clean, meta.data_range, "inference"))
        metrics.update(quality.summary(noisy, clean, meta.data_range, "baseline_noisy_test"))
        ctx.metrics.log_dict(metrics)
        log.info("em_denoise: %s", ", ".join(f"{k}={v:.4g}" for k, v in metrics.items()))
    with ctx.phase("writing_outputs"):
        from . import previews  # matplotlib only when writing

        previews.write(ctx.artifacts_dir / "previews", noisy, pred, clean, meta.data_range, opts.previews)
        if opts.write_denoised:
            dataset.write_images(ctx.artifacts_dir / "test" / dataset.DENOISED_FILE, pred)


__all__ = ("train", "inference")
