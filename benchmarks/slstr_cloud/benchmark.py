"""Entry points of the SLSTR cloud-masking benchmark: ``train(ctx)`` and ``inference(ctx)``.

Per-pixel cloud masks of Sentinel-3 SLSTR scenes, after SciMLBench v1.2's ``slstr_cloud``: a U-Net
trained on 256 x 256 patches of z-scored 9-channel scenes, scored against the Bayesian mask on whole
held-out scenes (overlapping patches stitched back to 1200 x 1500), next to the classical baseline:
the difficulty panel's strongest per-pixel learner (gradient-boosted trees), tuned on the training files.  The loop is the framework's
(``sciml_mlflow.training.fit``); this file holds the data, the model, the loss and the scores.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Tuple

import numpy as np
import torch
from torch import nn

from sciml_mlflow.core.context import RunContext
from sciml_mlflow.training import DeviceTimer, StepResult, TrainSet, autocast, fit, parse_options, to_device

from . import baseline, data, dataset, tiling
from . import model as unet
from .model import ModelMeta
from .scores import Confusion, scene_mean

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Options:
    train_fraction: float = 0.8  # file-level train/test split, as the original (80/20)
    inference_stride: int = 192  # patch stride for whole-scene inference (256 - 192 = 64 px overlap)
    previews: int = 3  # PNG previews written by inference
    augment: bool = True  # random flips of training patches
    baseline_pixels: int = 40_000  # pixels per training file the per-pixel baseline is fitted on



def _predictor(ctx: RunContext, net: unet.UNet) -> Callable[[np.ndarray], np.ndarray]:
    """(B, C, p, p) numpy batch -> (B, p, p) cloud probabilities, for ``tiling.stitch``."""

    def predict(batch: np.ndarray) -> np.ndarray:
        with torch.inference_mode(), autocast(ctx):
            return net.probabilities(to_device(batch, ctx.device)).float().cpu().numpy()

    return predict


def _scene_probability(ctx: RunContext, net: unet.UNet, image: np.ndarray, stride: int) -> np.ndarray:
    """(H, W) cloud probability of a whole scene from overlapping patches."""
    return tiling.stitch(image, _predictor(ctx, net), tiling.PATCH, stride, ctx.hparams.batch_size)


def train(ctx: RunContext) -> None:
    """Train the U-Net on patches of the training files; score whole test scenes and the per-pixel baseline."""
    opts = parse_options(Options, ctx.options, "slstr_cloud")
    hp = ctx.hparams
    rng = np.random.default_rng(ctx.seed)
    torch.manual_seed(ctx.seed)
    base, depth, down = unet.variant(ctx.model)
    with ctx.phase("data_loading"):
        train_files, fit_files, val_files, test_files = data.split_train_files(
            dataset.scene_files(ctx.data_dir), opts.train_fraction, hp.validation_fraction, rng)
        fit_src, val_src = data.PatchSource(fit_files), data.PatchSource(val_files)
        fit_src.preload()
        val_src.preload()
    with ctx.phase("preprocessing"):
        classical = baseline.fit(train_files, rng, ctx.seed, opts.baseline_pixels)  # every training file (validation included), never test
        meta = ModelMeta(ctx.model, dataset.N_CHANNELS, base, depth, down, opts.train_fraction,
                         classical.describe(), [f.name for f in train_files])
        net = unet.build_model(meta).to(ctx.device)
        n_params = unet.count_parameters(net)
        log.info("slstr_cloud: model %s, %d parameters; %d train / %d val / %d test scenes (%d train patches)",
                 ctx.model, n_params, len(fit_files), len(val_files), len(test_files), len(fit_src))
        ctx.metrics.log_dict({"model_parameters": n_params, "train_scenes": len(fit_files),
                              "val_scenes": len(val_files), "test_scenes": len(test_files),
                              "train_patches": len(fit_src), "baseline_train_pixels": classical.train_pixels})
    loss_fn = nn.BCEWithLogitsLoss()

    def step(model: nn.Module, batch: Tuple[torch.Tensor, torch.Tensor]) -> StepResult:
        x, y = data.flip(*batch, rng) if opts.augment else batch
        return StepResult(loss_fn(model(x).float(), y), len(x))

    def evaluate(model: nn.Module) -> Dict[str, float]:
        total, n, conf, sum_bce = 0.0, 0, Confusion(), nn.BCEWithLogitsLoss(reduction="sum")
        for x, y in val_src.batches(hp.batch_size, None):
            with autocast(ctx):
                logits = model(to_device(x, ctx.device)).float()
            total += float(sum_bce(logits, to_device(y, ctx.device)))
            n += y.size
            conf.add((logits > 0).cpu().numpy(), y > 0.5)
        return {"val_loss": total / max(n, 1), **conf.summary("val")}

    train_set = TrainSet(fit_src.items, lambda order: fit_src.batches_of(order, hp.batch_size, rng), hp.batch_size)
    result = fit(ctx, net, train_set, step, evaluate if len(val_src) else None)  # fit orders (and shards) the items
    with ctx.phase("evaluation"):
        model_conf, base_conf = Confusion(), Confusion()
        model_scenes: List[Confusion] = []
        base_scenes: List[Confusion] = []
        for f in test_files:
            scene = dataset.read_scene(f)
            pred = _scene_probability(ctx, net, scene.image(), opts.inference_stride) > 0.5
            base_pred = classical.predict(scene.refs, scene.bts)
            model_conf.add(pred, scene.mask)
            base_conf.add(base_pred, scene.mask)
            model_scenes.append(Confusion().add(pred, scene.mask))
            base_scenes.append(Confusion().add(base_pred, scene.mask))
        final = {**model_conf.summary("test"), **base_conf.summary("baseline_test"),
                 **scene_mean(model_scenes, "test"), **scene_mean(base_scenes, "baseline_test"), **result.summary}
        for name in ("accuracy", "f1", "iou"):
            final[f"test_{name}_gain_over_baseline"] = final[f"test_{name}"] - final[f"baseline_test_{name}"]
        ctx.metrics.log_dict(final, step=result.epochs_run)
        log.info("slstr_cloud: %s", ", ".join(f"{k}={v:.4g}" for k, v in final.items()))
    with ctx.phase("writing_outputs"):
        unet.save(net, meta, ctx.model_dir)
        x, _ = next(val_src.batches(1, None)) if len(val_src) else next(fit_src.batches(1, None))
        ctx.log_model(net, torch.from_numpy(np.ascontiguousarray(x[:1, :, :64, :64])))  # input example: a patch corner
        classical.save(ctx.model_dir)


def inference(ctx: RunContext) -> None:
    """Mask every test scene with the trained model; score against ``bayes``; write masks and previews."""
    opts = parse_options(Options, ctx.options, "slstr_cloud")
    with ctx.phase("data_loading"):
        net, meta = unet.load(ctx.model_dir, ctx.device, ctx.load_model())
        _, test_files = dataset.split_files(dataset.scene_files(ctx.data_dir), meta.train_fraction)
        leaked = sorted(set(meta.train_files) & {f.name for f in test_files})
        if leaked:
            log.warning("slstr_cloud: %d test scenes were training scenes of this model (%s...)", len(leaked), leaked[0])
        classical = baseline.load(ctx.model_dir, int(meta.baseline.get("train_pixels", 0)))
    _predictor(ctx, net)(np.zeros((1, dataset.N_CHANNELS, tiling.PATCH, tiling.PATCH), np.float32))  # warm-up
    model_conf, base_conf, timer = Confusion(), Confusion(), DeviceTimer(ctx.device)
    model_scenes: List[Confusion] = []
    base_scenes: List[Confusion] = []
    results: List[Tuple[str, np.ndarray, Dict[str, float]]] = []
    shown: List[Tuple[str, Any, Any, Any]] = []
    with ctx.phase("evaluation"):
        for f in ctx.progress(test_files, total=len(test_files), description="inference"):
            scene = dataset.read_scene(f)  # reading is I/O, not model throughput: timed by the phase only
            with timer:
                prob = _scene_probability(ctx, net, scene.image(), opts.inference_stride)
            pred, base_pred = prob > 0.5, classical.predict(scene.refs, scene.bts)
            model_conf.add(pred, scene.mask)
            base_conf.add(base_pred, scene.mask)
            model_scenes.append(Confusion().add(pred, scene.mask))
            base_scenes.append(Confusion().add(base_pred, scene.mask))
            row = {**model_scenes[-1].summary("model"), **base_scenes[-1].summary("baseline")}
            results.append((f.stem, prob, row))
            if len(shown) < opts.previews:
                shown.append((f.stem, scene.refs, scene.mask, pred))
    metrics: Dict[str, float] = {**model_conf.summary("inference"), **base_conf.summary("baseline_inference"),
                                 **scene_mean(model_scenes, "inference"),
                                 **scene_mean(base_scenes, "baseline_inference"), "inference_scenes": len(test_files)}
    if timer.seconds > 0:
        metrics["inference_throughput_scenes_per_s"] = len(test_files) / timer.seconds
    ctx.metrics.log_dict(metrics)
    log.info("slstr_cloud: %s", ", ".join(f"{k}={v:.4g}" for k, v in metrics.items()))
    with ctx.phase("writing_outputs"):
        data.write_outputs(ctx.artifacts_dir, results, shown)


__all__: Tuple[str, ...] = ("train", "inference")
