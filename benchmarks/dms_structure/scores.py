"""Science metrics of the DMS task, in numpy so they can be checked independently of torch.

The original benchmark summed softmax outputs and so reported 100% inference accuracy whatever the
model did; here every score compares a hard prediction with the label.
"""

from __future__ import annotations

from typing import Dict, Sequence

import numpy as np


def predict(scores: np.ndarray, multi_label: bool) -> np.ndarray:
    """Hard predictions from logits: class index (binary) or 0/1 per label (logit > 0 is p > 0.5)."""
    return (scores > 0).astype(np.int64) if multi_label else scores.argmax(axis=1)


def truth(labels: np.ndarray, multi_label: bool) -> np.ndarray:
    """Class index from one-hot labels, or the 0/1 label matrix."""
    return (labels > 0.5).astype(np.int64) if multi_label else labels.argmax(axis=1)


def accuracy(pred: np.ndarray, true: np.ndarray) -> float:
    """Share of correct predictions (per label and sample when multi-label)."""
    return float(np.mean(pred == true)) if true.size else float("nan")


def f1_per_label(pred: np.ndarray, true: np.ndarray) -> np.ndarray:
    """F1 of every label column; a label never present nor predicted scores 1 (nothing to get wrong)."""
    tp = np.sum((pred == 1) & (true == 1), axis=0)
    fp = np.sum((pred == 1) & (true == 0), axis=0)
    fn = np.sum((pred == 0) & (true == 1), axis=0)
    denom = 2 * tp + fp + fn
    return np.where(denom > 0, 2 * tp / np.maximum(denom, 1), 1.0)


def majority_baseline(train_labels: np.ndarray, test_labels: np.ndarray, multi_label: bool) -> Dict[str, float]:
    """Scores of always predicting the training split's majority (per label when multi-label)."""
    train_true = truth(train_labels, multi_label)
    test_true = truth(test_labels, multi_label)
    if multi_label:
        majority = (train_true.mean(axis=0) >= 0.5).astype(np.int64)
        pred = np.broadcast_to(majority, test_true.shape)
        return {
            "baseline_test_accuracy": accuracy(pred, test_true),
            "baseline_test_macro_f1": float(f1_per_label(pred, test_true).mean()),
        }
    majority_class = int(np.bincount(train_true, minlength=train_labels.shape[1]).argmax())
    return {"baseline_test_accuracy": accuracy(np.full_like(test_true, majority_class), test_true)}


def summary(
    scores: np.ndarray, labels: np.ndarray, multi_label: bool, prefix: str, names: Sequence[str]
) -> Dict[str, float]:
    """Accuracy (and macro/per-label F1 when multi-label) as ``<prefix>_<metric>``."""
    pred, true = predict(scores, multi_label), truth(labels, multi_label)
    out = {f"{prefix}_accuracy": accuracy(pred, true)}
    if multi_label:
        f1 = f1_per_label(pred, true)
        out[f"{prefix}_macro_f1"] = float(f1.mean())
        if prefix == "test":
            out.update({f"test_f1_{n}": float(v) for n, v in zip(names, f1)})
    return out
