"""Pixel-level scores of a binary cloud mask: accuracy, F1 and IoU of the *cloud* class.

Two ways to summarise a set of scenes, each under its own name:

- pooled (``<prefix>_accuracy``, ``_f1``, ``_iou``): one confusion count over all scenes
  (``Confusion.add``), turned into ratios at the end, so every pixel weighs the same;
- per scene (``<prefix>_scene_mean_accuracy``, ...): the score of each scene, then the mean over scenes,
  as SciMLBench's ``slstr_cloud`` inference computes it (every scene weighs the same).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List

import numpy as np


@dataclass
class Confusion:
    """Pixel counts of a binary mask against the truth (positive = cloud)."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, pred: np.ndarray, truth: np.ndarray) -> "Confusion":
        """Accumulate boolean masks of the same shape."""
        pred, truth = np.asarray(pred, bool), np.asarray(truth, bool)
        if pred.shape != truth.shape:
            raise ValueError(f"slstr_cloud: prediction shape {pred.shape} differs from mask shape {truth.shape}")
        tp = int(np.count_nonzero(pred & truth))
        n_pred, n_true = int(np.count_nonzero(pred)), int(np.count_nonzero(truth))
        self.tp += tp
        self.fp += n_pred - tp
        self.fn += n_true - tp
        self.tn += pred.size - n_pred - n_true + tp
        return self

    @property
    def total(self) -> int:
        return self.tp + self.fp + self.fn + self.tn

    def accuracy(self) -> float:
        return (self.tp + self.tn) / self.total if self.total else float("nan")

    def f1(self) -> float:
        """F1 of the cloud class; 1.0 when there is no cloud and none was predicted."""
        den = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / den if den else 1.0

    def iou(self) -> float:
        """Intersection over union of the cloud class (Jaccard); 1.0 for two empty masks."""
        den = self.tp + self.fp + self.fn
        return self.tp / den if den else 1.0

    def summary(self, prefix: str) -> Dict[str, float]:
        """``{prefix}_accuracy``, ``{prefix}_f1`` and ``{prefix}_iou``."""
        return {f"{prefix}_accuracy": self.accuracy(), f"{prefix}_f1": self.f1(), f"{prefix}_iou": self.iou()}


def scene_mean(scenes: List[Confusion], prefix: str) -> Dict[str, float]:
    """``{prefix}_scene_mean_accuracy``, ``_f1`` and ``_iou``: per-scene scores averaged over scenes (the original's way)."""
    if not scenes:
        return {}
    return {f"{prefix}_scene_mean_{name}": float(np.mean([getattr(c, name)() for c in scenes]))
            for name in ("accuracy", "f1", "iou")}


def scores(pred: np.ndarray, truth: np.ndarray, prefix: str) -> Dict[str, float]:
    """Scores of one prediction (a convenience over ``Confusion``)."""
    return Confusion().add(pred, truth).summary(prefix)


__all__ = ["Confusion", "scene_mean", "scores"]
