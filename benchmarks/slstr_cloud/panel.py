"""The difficulty panel of slstr_cloud: simple per-pixel learners, tuned on the training files only.

Why: a benchmark is only worth running if a method that uses what the reference model uses (spectral
*and* spatial context) beats what a per-pixel rule can do.  Each learner here sees one pixel's nine raw
channels (S1..S6 reflectance, S7..S9 brightness temperature) and nothing around it:

- ``majority``: the more frequent class of the training pixels;
- ``threshold``: the best single channel and direction (x > t or x < t), t on a quantile grid;
- ``logistic``: logistic regression on the standardised nine channels of pooled pixels;
- ``gbdt``: a per-pixel gradient-boosted classifier (scikit-learn ``HistGradientBoostingClassifier``).

All are fitted on pixels sampled from the training files of the benchmark's own file split and scored
on every pixel of the test files, pooled (``METRIC``) and per scene (the original's averaging).  The
strongest, ``gbdt``, is the benchmark's classical baseline (``baseline.py``).
"""

from __future__ import annotations

import logging
import pathlib
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Protocol, Tuple

import numpy as np

from . import dataset
from .scores import Confusion

log = logging.getLogger(__name__)

METRIC = "test_accuracy"  # pooled pixel accuracy over the test files (every pixel weighs the same)
TRAIN_FRACTION = 0.8  # the benchmark's default file split
PIXELS_PER_SCENE = 40_000  # training pixels sampled per training file
THRESHOLD_GRID = 200  # candidate thresholds per channel (quantiles of the training pixels)


class PixelClassifier(Protocol):
    """What a learner returns: a cloud prediction for (N, 9) raw pixel features."""

    def predict(self, x: np.ndarray) -> np.ndarray: ...


def features(refs: np.ndarray, bts: np.ndarray) -> np.ndarray:
    """(H*W, 9) float32 raw per-pixel features: S1..S6 reflectance then S7..S9 brightness temperature (K)."""
    return np.concatenate([refs, bts], axis=-1).reshape(-1, refs.shape[-1] + bts.shape[-1])


@dataclass(frozen=True)
class Majority:
    """Always the training pixels' more frequent class."""

    cloud: bool

    def predict(self, x: np.ndarray) -> np.ndarray:
        return np.full(len(x), self.cloud, bool)


@dataclass(frozen=True)
class ChannelThreshold:
    """cloud = x[:, channel] > t (``above``) or x[:, channel] < t."""

    channel: int
    threshold: float
    above: bool

    def predict(self, x: np.ndarray) -> np.ndarray:
        col = x[:, self.channel]
        return col > self.threshold if self.above else col < self.threshold


@dataclass
class Sklearn:
    """A fitted scikit-learn classifier (predicts class 1 = cloud)."""

    model: object = field(repr=False)

    def predict(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(self.model.predict(x), bool)  # type: ignore[attr-defined]


def fit_majority(x: np.ndarray, y: np.ndarray, seed: int) -> Majority:
    return Majority(bool(y.mean() > 0.5))


def fit_threshold(x: np.ndarray, y: np.ndarray, seed: int) -> ChannelThreshold:
    """Exact search over a quantile grid of every channel, both directions, by training accuracy."""
    best: Tuple[float, int, float, bool] = (-1.0, 0, 0.0, True)
    n_pos = int(y.sum())
    for c in range(x.shape[1]):
        order = np.argsort(x[:, c], kind="stable")
        xs, ys = x[order, c], y[order]
        cand = np.unique(np.quantile(xs, np.linspace(0.0, 1.0, THRESHOLD_GRID + 1)))
        k = np.searchsorted(xs, cand, side="right")  # pixels <= t
        pos_le = np.concatenate([[0], np.cumsum(ys)])[k]
        neg_le = k - pos_le
        acc_above = (n_pos - pos_le + neg_le) / len(y)  # cloud when x > t
        acc_below = (pos_le + (len(y) - n_pos - neg_le)) / len(y)  # cloud when x <= t (~ x < t)
        for accs, above in ((acc_above, True), (acc_below, False)):
            i = int(np.argmax(accs))
            if accs[i] > best[0]:
                best = (float(accs[i]), c, float(cand[i]), above)
    return ChannelThreshold(best[1], best[2], best[3])


def fit_logistic(x: np.ndarray, y: np.ndarray, seed: int) -> Sklearn:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return Sklearn(make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(x, y))


def fit_gbdt(x: np.ndarray, y: np.ndarray, seed: int) -> Sklearn:
    """Gradient-boosted trees on the nine raw channels; 10 % of the training pixels decide early stopping."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    model = HistGradientBoostingClassifier(max_iter=300, learning_rate=0.1, max_leaf_nodes=63,
                                           early_stopping=True, validation_fraction=0.1, random_state=seed)
    return Sklearn(model.fit(x, y))


LEARNERS: Dict[str, Callable[[np.ndarray, np.ndarray, int], PixelClassifier]] = {
    "majority": fit_majority,
    "threshold": fit_threshold,
    "logistic": fit_logistic,
    "gbdt": fit_gbdt,
}
STRONGEST = "gbdt"  # the classical baseline the benchmark reports (measured: README, "Difficulty panel")


def training_pixels(files: List[pathlib.Path], rng: np.random.Generator,
                    per_scene: int = PIXELS_PER_SCENE) -> Tuple[np.ndarray, np.ndarray]:
    """(N, 9) features and (N,) bool labels sampled uniformly from each of ``files``."""
    xs, ys = [], []
    for f in files:
        scene = dataset.read_scene(f)
        x, y = features(scene.refs, scene.bts), scene.mask.reshape(-1)
        pick = rng.choice(len(y), size=min(per_scene, len(y)), replace=False)
        xs.append(x[pick])
        ys.append(y[pick])
    return np.concatenate(xs), np.concatenate(ys)


@dataclass
class PanelScores:
    """Test scores of every learner: pooled confusion and one confusion per scene."""

    pooled: Dict[str, Confusion] = field(default_factory=dict)
    per_scene: Dict[str, List[Confusion]] = field(default_factory=dict)

    def table(self) -> Dict[str, Dict[str, float]]:
        """learner -> {test_accuracy, test_f1, test_iou (pooled), scene_mean_accuracy, scene_mean_f1}."""
        out: Dict[str, Dict[str, float]] = {}
        for name, conf in self.pooled.items():
            scenes = self.per_scene[name]
            out[name] = {**conf.summary("test"),
                         "scene_mean_accuracy": float(np.mean([c.accuracy() for c in scenes])),
                         "scene_mean_f1": float(np.mean([c.f1() for c in scenes]))}
        return out


def evaluate(root: pathlib.Path, seed: int = 0, per_scene: int = PIXELS_PER_SCENE, test_stride: int = 1) -> PanelScores:
    """Fit every learner on the training files under ``root`` and score it on the test files.

    ``test_stride`` > 1 scores every ``test_stride``-th row and column only (a cheaper estimate, for tests).
    """
    train_files, test_files = dataset.split_files(dataset.scene_files(root), TRAIN_FRACTION)
    x, y = training_pixels(train_files, np.random.default_rng(seed), per_scene)
    fitted = {name: fit(x, y, seed) for name, fit in LEARNERS.items()}
    log.info("slstr_cloud panel: fitted %s on %d pixels of %d training files", ", ".join(fitted), len(y),
             len(train_files))  # fmt: skip
    result = PanelScores({n: Confusion() for n in fitted}, {n: [] for n in fitted})
    for f in test_files:
        scene = dataset.read_scene(f)
        sub = np.s_[::test_stride, ::test_stride]
        xt, yt = features(scene.refs[sub], scene.bts[sub]), scene.mask[sub].reshape(-1)
        for name, model in fitted.items():
            pred = model.predict(xt)
            result.pooled[name].add(pred, yt)
            result.per_scene[name].append(Confusion().add(pred, yt))
    return result


def learners(root: pathlib.Path, seed: int = 0) -> Dict[str, float]:
    """Learner name -> ``METRIC`` (pooled test pixel accuracy), every learner tuned on the training files only."""
    return {name: row[METRIC] for name, row in evaluate(pathlib.Path(root), seed).table().items()}


__all__ = ["METRIC", "LEARNERS", "STRONGEST", "PanelScores", "evaluate", "features", "fit_gbdt", "learners",
           "training_pixels"]  # fmt: skip
