"""The classical baseline: the difficulty panel's strongest member, a per-pixel gradient-boosted classifier.

Why this one: the panel (``panel.py``) runs majority, the best single-channel threshold, logistic
regression and gradient-boosted trees on one pixel's nine raw channels; the trees are the strongest
(README, "Difficulty panel"), so "the U-Net beats classical" is measured against the best per-pixel
method, not a weak rule chosen for contrast.  It is fitted on pixels of the *training* files only (the
validation files included, never the test files), saved next to the model, and inference scores it on
the same scenes as the model.
"""

from __future__ import annotations

import logging
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List

import numpy as np

from . import panel

log = logging.getLogger(__name__)

BASELINE_FILE = "baseline.pkl"
LEARNER = panel.STRONGEST


@dataclass
class PixelBaseline:
    """A fitted per-pixel classifier over the nine raw channels (``panel.features``)."""

    classifier: Any  # a fitted scikit-learn estimator (class 1 = cloud)
    train_pixels: int

    def predict(self, refs: np.ndarray, bts: np.ndarray) -> np.ndarray:
        """Boolean (H, W) cloud mask from raw (not normalised) reflectances and brightness temperatures."""
        return np.asarray(self.classifier.predict(panel.features(refs, bts)), bool).reshape(refs.shape[:2])

    def describe(self) -> Dict[str, Any]:
        """What model.json records about the baseline."""
        return {"learner": LEARNER, "file": BASELINE_FILE, "train_pixels": self.train_pixels}

    def save(self, model_dir: Path) -> Path:
        """Pickle the scikit-learn estimator (importable by name, unlike this file-loaded package) into ``model_dir``."""
        path = Path(model_dir) / BASELINE_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_bytes(pickle.dumps(self.classifier, protocol=pickle.HIGHEST_PROTOCOL))
        tmp.replace(path)
        return path


def fit(files: List[Path], rng: np.random.Generator, seed: int, per_scene: int = panel.PIXELS_PER_SCENE) -> PixelBaseline:
    """Fit the panel's strongest learner on pixels sampled from ``files`` (the training files)."""
    x, y = panel.training_pixels(files, rng, per_scene)
    classifier = panel.LEARNERS[LEARNER](x, y, seed).model  # type: ignore[attr-defined]
    log.info("slstr_cloud: baseline %s fitted on %d pixels of %d training files", LEARNER, len(y), len(files))
    return PixelBaseline(classifier, len(y))


def load(model_dir: Path, train_pixels: int = 0) -> PixelBaseline:
    """The baseline saved by ``PixelBaseline.save``; a missing file says what to do."""
    path = Path(model_dir) / BASELINE_FILE
    if not path.is_file():
        from sciml_mlflow.errors import DataError

        raise DataError(f"slstr_cloud: no {BASELINE_FILE} in {model_dir}; expected the baseline saved by "
                        "training. Retrain the model with this version (older models kept a threshold test).")
    classifier = pickle.loads(path.read_bytes())  # our own training output, like unet.pt
    if not hasattr(classifier, "predict"):
        from sciml_mlflow.errors import DataError

        raise DataError(f"slstr_cloud: {path} holds {type(classifier).__name__}, expected a fitted classifier; retrain")
    return PixelBaseline(classifier, train_pixels)


__all__ = ["BASELINE_FILE", "LEARNER", "PixelBaseline", "fit", "load"]
