"""Entry points of the SLSTR cloud-masking benchmark: ``train(ctx)`` and ``inference(ctx)``.

Per-pixel cloud masks of Sentinel-3 SLSTR scenes, after SciMLBench v1.2's ``slstr_cloud``: a U-Net
trained on 256 x 256 patches of z-scored 9-channel scenes, scored against the Bayesian mask on whole
held-out scenes (overlapping patches stitched back to 1200 x 1500), next to a classical
brightness/temperature threshold test tuned on the training files.
"""

from __future__ import annotations

import csv
import logging
import math
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import h5py
import numpy as np
import torch
from torch import nn

from sciml_mlflow.training import (
    EarlyStopping,
    ThroughputMeter,
    autocast,
    grad_scaler,
    make_optimizer,
    synchronize,
)

from . import baseline, dataset, previews, tiling
from . import model as unet
from .model import ModelMeta
from .scores import Confusion

log = logging.getLogger(__name__)

DEFAULT_OPTIONS: Dict[str, Any] = {
    "train_fraction": 0.8,  # file-level train/test split, as the original (80/20)
    "inference_stride": 192,  # patch stride for whole-scene inference (256 - 192 = 64 px overlap)
    "previews": 3,  # PNG previews written by inference
    "augment": True,  # random flips of training patches
}
IN_MEMORY_LIMIT_BYTES = 4 * 2**30  # larger training sets are streamed scene group by scene group
STREAM_SCENES = 16  # scenes shuffled together when streaming
WARMUP_BATCHES = 2  # first training batches left out of throughput (allocator, kernel selection)
BASELINE_PIXELS = 50_000  # pixels per training scene used to tune the threshold test


# --------------------------------------------------------------------------- run helpers


def _options(ctx: Any) -> Dict[str, Any]:
    opts = dict(ctx.options or {})
    unknown = set(opts) - set(DEFAULT_OPTIONS)
    if unknown:
        raise ValueError(
            f"slstr_cloud: unknown option(s) {', '.join(sorted(unknown))} in conf/benchmark/slstr_cloud.yaml; "
            f"known: {', '.join(sorted(DEFAULT_OPTIONS))}"
        )
    return {**DEFAULT_OPTIONS, **opts}








def _predictor(net: unet.UNet, ctx: Any):
    """(B, C, p, p) numpy batch -> (B, p, p) cloud probabilities, for ``tiling.stitch``."""

    def predict(batch: np.ndarray) -> np.ndarray:
        with torch.inference_mode(), autocast(ctx):
            out = net.probabilities(torch.from_numpy(batch).to(ctx.device, non_blocking=True))
        return out.float().cpu().numpy()

    return predict


def _predict_scene(net: unet.UNet, scene: dataset.SceneData, ctx: Any, stride: int) -> np.ndarray:
    """(H, W) cloud probability of a whole scene from overlapping patches."""
    return tiling.stitch(scene.image(), _predictor(net, ctx), tiling.PATCH, stride, ctx.hparams.batch_size)


# --------------------------------------------------------------------------- training data


class _PatchSource:
    """The 20 training patches of each scene: cached in memory when they fit, else streamed per epoch."""

    def __init__(self, files: List[Path]) -> None:
        self.files = files
        self.per_scene = (dataset.HEIGHT // tiling.PATCH) * (dataset.WIDTH // tiling.PATCH)
        nbytes = len(files) * self.per_scene * dataset.N_CHANNELS * tiling.PATCH**2 * 4
        self.cached = nbytes <= IN_MEMORY_LIMIT_BYTES
        self._x: Optional[np.ndarray] = None
        self._y: Optional[np.ndarray] = None

    def __len__(self) -> int:
        return len(self.files) * self.per_scene

    @staticmethod
    def load(files: List[Path]) -> Tuple[np.ndarray, np.ndarray]:
        xs, ys = [], []
        for f in files:
            x, y = tiling.training_patches(*_image_and_mask(dataset.read_scene(f)))
            xs.append(x)
            ys.append(y.astype(np.float32))
        return np.concatenate(xs), np.concatenate(ys)

    def preload(self) -> None:
        if self.cached and self._x is None and self.files:
            self._x, self._y = self.load(self.files)

    def n_batches(self, batch_size: int) -> int:
        if self.cached:
            return math.ceil(len(self) / batch_size)
        groups = [self.files[i : i + STREAM_SCENES] for i in range(0, len(self.files), STREAM_SCENES)]
        return sum(math.ceil(len(g) * self.per_scene / batch_size) for g in groups)

    def batches(self, batch_size: int, rng: Optional[np.random.Generator]) -> Iterator[Tuple[np.ndarray, np.ndarray]]:
        """Shuffled batches when ``rng`` is given, in file order otherwise."""
        if self.cached:
            self.preload()
            groups: List[Tuple[np.ndarray, np.ndarray]] = [(self._x, self._y)] if self._x is not None else []
        else:
            order = rng.permutation(len(self.files)) if rng is not None else np.arange(len(self.files))
            files = [self.files[i] for i in order]
            groups = (self.load(files[i : i + STREAM_SCENES]) for i in range(0, len(files), STREAM_SCENES))  # type: ignore[assignment]
        for x, y in groups:
            idx = rng.permutation(len(x)) if rng is not None else np.arange(len(x))
            for s in range(0, len(idx), batch_size):
                sel = np.sort(idx[s : s + batch_size])
                yield x[sel], y[sel]


def _image_and_mask(scene: dataset.SceneData) -> Tuple[np.ndarray, np.ndarray]:
    return scene.image(), scene.mask


def _flip(x: torch.Tensor, y: torch.Tensor, rng: np.random.Generator) -> Tuple[torch.Tensor, torch.Tensor]:
    """Random horizontal/vertical flips of a whole batch (clouds have no preferred orientation)."""
    for dim in (-1, -2):
        if rng.uniform() < 0.5:
            x, y = x.flip(dim), y.flip(dim)
    return x, y


@torch.inference_mode()
def _validate(net: unet.UNet, source: _PatchSource, ctx: Any) -> Dict[str, float]:
    """Loss and pixel scores over the validation patches (model in eval mode)."""
    net.eval()
    loss_fn, total, n, conf = nn.BCEWithLogitsLoss(reduction="sum"), 0.0, 0, Confusion()
    for x, y in source.batches(ctx.hparams.batch_size, None):
        xt, yt = torch.from_numpy(x).to(ctx.device), torch.from_numpy(y).to(ctx.device)
        with autocast(ctx):
            logits = net(xt).float()
        total += float(loss_fn(logits, yt))
        n += yt.numel()
        conf.add((logits > 0).cpu().numpy(), y > 0.5)
    return {"val_loss": total / max(n, 1), **conf.summary("val")}


# --------------------------------------------------------------------------- entry points


def train(ctx: Any) -> None:
    """Train the U-Net on patches of the training files; score whole test scenes and the threshold baseline."""
    opts = _options(ctx)
    hp = ctx.hparams
    rng = np.random.default_rng(ctx.seed)
    torch.manual_seed(ctx.seed)
    base, depth, down = unet.variant(ctx.model)

    with ctx.phase("data_loading"):
        files = dataset.scene_files(ctx.data_dir)
        train_files, test_files = dataset.split_files(files, float(opts["train_fraction"]))
        n_val = int(round(hp.validation_fraction * len(train_files))) if hp.validation_fraction > 0 else 0
        n_val = min(max(n_val, 1 if hp.validation_fraction > 0 else 0), len(train_files) - 1)
        perm = rng.permutation(len(train_files))
        val_files = sorted(train_files[i] for i in perm[:n_val])
        fit_files = sorted(train_files[i] for i in perm[n_val:])
        fit_src, val_src = _PatchSource(fit_files), _PatchSource(val_files)
        fit_src.preload()
        val_src.preload()

    with ctx.phase("preprocessing"):
        samples = []
        for f in train_files:  # the baseline may see every training file (validation files included), never test
            scene = dataset.read_scene(f)
            samples.append(baseline.sample_pixels(scene.refs, scene.bts, scene.mask, rng, BASELINE_PIXELS))
        threshold = baseline.fit(samples)
        meta = ModelMeta(ctx.model, dataset.N_CHANNELS, base, depth, down, float(opts["train_fraction"]),
                         threshold.as_dict(), [f.name for f in train_files])  # fmt: skip
        net = unet.build_model(meta).to(ctx.device)
        n_params = unet.count_parameters(net)
        log.info("slstr_cloud: model %s, %d parameters; %d train / %d val / %d test scenes (%d train patches)",
                 ctx.model, n_params, len(fit_files), len(val_files), len(test_files), len(fit_src))  # fmt: skip
        ctx.metrics.log_dict({"model_parameters": n_params, "train_scenes": len(fit_files),
                              "val_scenes": len(val_files), "test_scenes": len(test_files),
                              "train_patches": len(fit_src), "baseline_vis_min": threshold.vis_min,
                              "baseline_bt_max_k": threshold.bt_max})  # fmt: skip

    opt = make_optimizer(net.parameters(), hp)
    loss_fn = nn.BCEWithLogitsLoss()
    scaler = grad_scaler(ctx)
    stopper = EarlyStopping(net, hp.early_stopping_patience)
    samples_seen, epoch = 0, 0
    meter = ThroughputMeter()

    with ctx.phase("training"):
        t_start = time.perf_counter()
        for epoch in range(1, hp.epochs + 1):
            net.train()
            n_batches = fit_src.n_batches(hp.batch_size)
            warmup = min(WARMUP_BATCHES, max(1, n_batches // 2)) if epoch == 1 else 0
            ep_loss, ep_n = 0.0, 0
            meter.start()
            batches = fit_src.batches(hp.batch_size, rng)
            for b, (x, y) in enumerate(ctx.progress(batches, total=n_batches, description=f"epoch {epoch}/{hp.epochs}")):
                xt, yt = torch.from_numpy(x).to(ctx.device), torch.from_numpy(y).to(ctx.device)
                if opts["augment"]:
                    xt, yt = _flip(xt, yt, rng)
                opt.zero_grad(set_to_none=True)
                with autocast(ctx):
                    loss = loss_fn(net(xt).float(), yt)
                scaler.scale(loss).backward()
                scaler.step(opt)
                scaler.update()
                synchronize(ctx.device)
                meter.tick(len(x), counted=b >= warmup)
                ep_loss += float(loss.detach()) * len(x)
                ep_n += len(x)
                samples_seen += len(x)
            metrics = {"train_loss": ep_loss / max(ep_n, 1), "samples_seen": samples_seen}
            monitor = metrics["train_loss"]
            if len(val_src):
                metrics.update(_validate(net, val_src, ctx))
                monitor = metrics["val_loss"]
            if meter.rate is not None:
                metrics["train_throughput_samples_per_s"] = meter.rate
            metrics["epoch_elapsed_s"] = time.perf_counter() - t_start
            ctx.metrics.log_dict(metrics, step=epoch)
            log.info("slstr_cloud: epoch %d %s", epoch, ", ".join(f"{k}={v:.4g}" for k, v in metrics.items()))
            if stopper.step(monitor, epoch, net):
                log.info("slstr_cloud: early stop after epoch %d (best %d)", epoch, stopper.best_epoch)
                break
        stopper.restore(net)
        net.eval()

    with ctx.phase("evaluation"):
        model_conf, base_conf = Confusion(), Confusion()
        for f in test_files:
            scene = dataset.read_scene(f)
            model_conf.add(_predict_scene(net, scene, ctx, int(opts["inference_stride"])) > 0.5, scene.mask)
            base_conf.add(threshold.predict(scene.refs, scene.bts), scene.mask)
        final = {**model_conf.summary("test"), **base_conf.summary("baseline_test"),
                 "best_epoch": stopper.best_epoch, "epochs_run": epoch}  # fmt: skip
        for name in ("accuracy", "f1", "iou"):
            final[f"test_{name}_gain_over_baseline"] = final[f"test_{name}"] - final[f"baseline_test_{name}"]
        ctx.metrics.log_dict(final, step=epoch)
        log.info("slstr_cloud: %s", ", ".join(f"{k}={v:.4g}" for k, v in final.items()))

    with ctx.phase("writing_outputs"):
        unet.save(net, meta, ctx.model_dir)


def inference(ctx: Any) -> None:
    """Mask every test scene with the trained model; score against ``bayes``; write masks and previews."""
    opts = _options(ctx)
    stride = int(opts["inference_stride"])
    with ctx.phase("data_loading"):
        net, meta = unet.load(ctx.model_dir, ctx.device)
        files = dataset.scene_files(ctx.data_dir)
        _, test_files = dataset.split_files(files, meta.train_fraction)
        leaked = sorted(set(meta.train_files) & {f.name for f in test_files})
        if leaked:
            log.warning("slstr_cloud: %d test scenes were training scenes of this model (%s...)", len(leaked), leaked[0])
        threshold = baseline.ThresholdTest(**meta.baseline)
    predict = _predictor(net, ctx)
    predict(np.zeros((1, dataset.N_CHANNELS, tiling.PATCH, tiling.PATCH), np.float32))  # warm-up, untimed
    synchronize(ctx.device)

    model_conf, base_conf = Confusion(), Confusion()
    results: List[Tuple[str, np.ndarray, Dict[str, float]]] = []
    shown: List[Tuple[str, np.ndarray, np.ndarray, np.ndarray]] = []
    timed_s = 0.0
    with ctx.phase("evaluation"):
        for f in ctx.progress(test_files, total=len(test_files), description="inference"):
            scene = dataset.read_scene(f)  # reading is I/O, not model throughput: timed by the phase only
            t0 = time.perf_counter()
            prob = _predict_scene(net, scene, ctx, stride)
            synchronize(ctx.device)
            timed_s += time.perf_counter() - t0
            pred = prob > 0.5
            base_pred = threshold.predict(scene.refs, scene.bts)
            model_conf.add(pred, scene.mask)
            base_conf.add(base_pred, scene.mask)
            row = {**Confusion().add(pred, scene.mask).summary("model"),
                   **Confusion().add(base_pred, scene.mask).summary("baseline")}  # fmt: skip
            results.append((f.stem, prob, row))
            if len(shown) < int(opts["previews"]):
                shown.append((f.stem, scene.refs, scene.mask, pred))
    metrics: Dict[str, float] = {**model_conf.summary("inference"), **base_conf.summary("baseline_inference"),
                                 "inference_scenes": len(test_files)}  # fmt: skip
    if timed_s > 0:
        metrics["inference_throughput_scenes_per_s"] = len(test_files) / timed_s
    ctx.metrics.log_dict(metrics)
    log.info("slstr_cloud: %s", ", ".join(f"{k}={v:.4g}" for k, v in metrics.items()))

    with ctx.phase("writing_outputs"):
        mask_dir = ctx.artifacts_dir / "masks"
        mask_dir.mkdir(exist_ok=True)
        for stem, prob, _ in results:
            write_mask(mask_dir / f"{stem}.h5", prob)
        _write_scores(ctx.artifacts_dir / "scene_scores.csv", results)
        if shown:
            preview_dir = ctx.artifacts_dir / "previews"
            preview_dir.mkdir(exist_ok=True)
            for stem, refs, truth, pred in shown:
                previews.write_preview(preview_dir / f"{stem}.png", refs, truth, pred, stem)


def write_mask(path: Path, prob: np.ndarray) -> Path:
    """One HDF5 per scene: ``mask`` (H, W, 1) uint8 (1 = cloud, the input's layout) and ``probability`` (H, W) float16."""
    tmp = path.with_name(f".{path.name}.tmp")
    with h5py.File(tmp, "w") as fh:
        fh.create_dataset("mask", data=(prob > 0.5).astype(np.uint8)[..., None], compression="gzip", compression_opts=4)
        fh.create_dataset("probability", data=prob.astype(np.float16), compression="gzip", compression_opts=1)
    tmp.replace(path)
    return path


def _write_scores(path: Path, results: List[Tuple[str, np.ndarray, Dict[str, float]]]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", newline="") as fh:
        writer = csv.writer(fh)
        keys = list(results[0][2]) if results else []
        writer.writerow(["scene", *keys])
        for stem, _, row in results:
            writer.writerow([stem, *(f"{row[k]:.6f}" for k in keys)])
    tmp.replace(path)


__all__ = ("train", "inference", "write_mask")
