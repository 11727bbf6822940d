"""Science metrics of the DMS task, in numpy so they can be checked independently of torch.

The original benchmark summed softmax outputs and so reported 100% inference accuracy whatever the
model did; here every score compares a hard prediction with the label.
"""

from __future__ import annotations

from typing import Dict, Sequence

import numpy as np

POSITIVE = 0  # binary F1 is of class 0, monoclinic (CLASSES order): the distortion a study looks for


def predict(scores: np.ndarray, multi_label: bool) -> np.ndarray:
    """Hard predictions from logits: class index (binary) or 0/1 per label (logit > 0 is p > 0.5)."""
    return (scores > 0).astype(np.int64) if multi_label else scores.argmax(axis=1)


def truth(labels: np.ndarray, multi_label: bool) -> np.ndarray:
    """Class index from one-hot labels, or the 0/1 label matrix."""
    return (labels > 0.5).astype(np.int64) if multi_label else labels.argmax(axis=1)


def accuracy(pred: np.ndarray, true: np.ndarray) -> float:
    """Share of correct predictions; on a multi-label matrix this is the per-label (Hamming) accuracy."""
    return float(np.mean(pred == true)) if true.size else float("nan")


def exact_match(pred: np.ndarray, true: np.ndarray) -> float:
    """Share of samples whose whole label row is right (multi-label subset accuracy)."""
    return float(np.mean(np.all(pred == true, axis=1))) if true.size else float("nan")


def binary_f1(pred: np.ndarray, true: np.ndarray, positive: int) -> float:
    """F1 of class ``positive`` in a single-label problem (class indices)."""
    return float(f1_per_label((pred == positive)[:, None].astype(np.int64), (true == positive)[:, None].astype(np.int64))[0])


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
            "baseline_test_hamming_accuracy": accuracy(pred, test_true),
            "baseline_test_exact_match_accuracy": exact_match(pred, test_true),
            "baseline_test_macro_f1": float(f1_per_label(pred, test_true).mean()),
        }
    majority_class = int(np.bincount(train_true, minlength=train_labels.shape[1]).argmax())
    pred = np.full_like(test_true, majority_class)
    return {"baseline_test_accuracy": accuracy(pred, test_true),
            "baseline_test_f1": binary_f1(pred, test_true, POSITIVE)}


def summary(
    scores: np.ndarray, labels: np.ndarray, multi_label: bool, prefix: str, names: Sequence[str]
) -> Dict[str, float]:
    """The scores as ``<prefix>_<metric>``, each named for what it measures.

    Binary: ``accuracy`` and ``f1`` (of the monoclinic class, the distortion to detect).  Multi-label:
    ``hamming_accuracy`` (per label and sample), ``exact_match_accuracy`` (whole rows), ``macro_f1`` and,
    on test, ``f1_<phase>``.
    """
    pred, true = predict(scores, multi_label), truth(labels, multi_label)
    if not multi_label:
        return {f"{prefix}_accuracy": accuracy(pred, true), f"{prefix}_f1": binary_f1(pred, true, POSITIVE)}
    f1 = f1_per_label(pred, true)
    out = {f"{prefix}_hamming_accuracy": accuracy(pred, true), f"{prefix}_exact_match_accuracy": exact_match(pred, true),
           f"{prefix}_macro_f1": float(f1.mean())}
    if prefix == "test":
        out.update({f"test_f1_{n}": float(v) for n, v in zip(names, f1)})
    return out
