"""Difficulty panel of dms_structure: how far simple learners get on the binary task.

Why it exists: a benchmark that a linear model solves cannot tell a CNN from a linear model (issue 16:
logistic regression on 8x8 block means once scored 0.985 here, above the CNN).  Every learner is tuned on
``train/`` only and scored once on ``test/`` with the benchmark's own accuracy (scores.accuracy), so the
table in the README compares like with like.  ``scripts/difficulty_panel.py`` runs it next to the model.

Learners:
- ``majority``: the training split's majority class;
- ``best_threshold``: one feature and one threshold (and direction) chosen by training accuracy, over
  every 8x8-block mean of every channel plus four global features: the axis-0 and axis-1 mirror asymmetry
  (physics.mirror_asymmetry: the symmetry a monoclinic shear breaks), the mean and the std of the pattern;
- ``logistic_regression``: standardised 8x8-block means of all channels, L2 strength chosen by 3-fold
  cross-validation on train (sklearn's LogisticRegressionCV).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Dict, Tuple

import numpy as np

from . import dataset, physics, scores

log = logging.getLogger(__name__)

METRIC = "test_accuracy"  # what the reference model logs for the same split
SEED_DEPENDENT = False  # no random step: stratified unshuffled CV folds, deterministic lbfgs
BLOCK = 8  # block-mean pooling of the 487 x 195 detector (60 x 24 blocks per channel)
CS = (1e-4, 1e-3, 1e-2, 1e-1, 1.0)  # inverse L2 strengths tried by cross-validation


def _features(root: Path, split: str) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(block means (N, F), global features (N, 4), class index (N,)) of one split, read a chunk at a time."""
    part = dataset.H5Split(dataset.data_file(root, False), split)
    pooled, glob = [], []
    h, w = (dataset.SHAPE[0] // BLOCK) * BLOCK, (dataset.SHAPE[1] // BLOCK) * BLOCK
    for _, chunk in part.iter_chunks():
        x = chunk.astype(np.float64)
        n = len(x)
        pooled.append(x[:, :h, :w].reshape(n, h // BLOCK, BLOCK, w // BLOCK, BLOCK, 3).mean(axis=(2, 4)).reshape(n, -1))
        mono = x.mean(axis=-1)
        glob.append(np.array([[physics.mirror_asymmetry(m, 0), physics.mirror_asymmetry(m, 1), m.mean(), m.std()]
                              for m in mono]))
    return np.concatenate(pooled), np.concatenate(glob), part.labels().argmax(axis=1)


def _best_threshold(train: np.ndarray, y: np.ndarray) -> Tuple[int, float, bool]:
    """(feature, threshold, predict class 1 above?) with the best training accuracy (ties: first feature)."""
    n, nf = train.shape
    order = np.argsort(train, axis=0, kind="stable")
    ys = y[order]  # (n, F) labels in feature order
    ones_below = np.vstack([np.zeros((1, nf)), np.cumsum(ys, axis=0)])  # class-1 count among the first k
    k = np.arange(n + 1)[:, None]
    total_ones = ys.sum(axis=0)[None, :]
    # predict 1 above the cut: right = zeros below + ones above; the opposite direction is n - that
    right_above = (k - ones_below) + (total_ones - ones_below)
    best_above, best_below = right_above.max(axis=0), (n - right_above).max(axis=0)
    f = int(np.argmax(np.maximum(best_above, best_below)))
    above = bool(best_above[f] >= best_below[f])
    cut = int(np.argmax(right_above[:, f] if above else n - right_above[:, f]))
    sorted_f = train[order[:, f], f]
    if cut == 0:
        thr = sorted_f[0] - 1.0
    elif cut == n:
        thr = sorted_f[-1] + 1.0
    else:
        thr = 0.5 * (sorted_f[cut - 1] + sorted_f[cut])
    return f, float(thr), above


def learners(root: Path, seed: int = 0) -> Dict[str, float]:
    """Simple-learner name -> test accuracy on the staged dataset at ``root``; all tuned on train only."""
    from sklearn.linear_model import LogisticRegressionCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    p_tr, g_tr, y_tr = _features(root, "train")
    p_te, g_te, y_te = _features(root, "test")
    out: Dict[str, float] = {}
    majority = int(np.bincount(y_tr, minlength=2).argmax())
    out["majority"] = scores.accuracy(np.full_like(y_te, majority), y_te)

    f_tr, f_te = np.hstack([p_tr, g_tr]), np.hstack([p_te, g_te])
    f, thr, above = _best_threshold(f_tr, y_tr)
    pred = (f_te[:, f] > thr) == above
    out["best_threshold"] = scores.accuracy(pred.astype(np.int64), y_te)
    name = ["mirror_asymmetry_axis0", "mirror_asymmetry_axis1", "mean", "std"][f - p_tr.shape[1]] \
        if f >= p_tr.shape[1] else f"block {f}"
    log.info("dms_structure panel: best threshold on %s (%s %.4g)", name, ">" if above else "<=", thr)

    folds = max(2, min(3, int(np.bincount(y_tr).min())))
    # scoring named: sklearn 1.11 changes LogisticRegressionCV's default (accuracy -> neg_log_loss), which
    # would pick another C and move the panel's number on an upgrade.
    clf = make_pipeline(StandardScaler(), LogisticRegressionCV(Cs=list(CS), cv=folds, max_iter=3000, random_state=seed,
                                                               scoring="accuracy"))
    clf.fit(p_tr, y_tr)
    out["logistic_regression"] = scores.accuracy(clf.predict(p_te), y_te)
    return out


__all__ = ["METRIC", "learners"]
