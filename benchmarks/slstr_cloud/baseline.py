"""The classical baseline: a two-threshold brightness/temperature test.

A pixel is cloud when it is bright in the visible (0.659 um reflectance > ``vis_min``) *and* cold in
the thermal infrared (10.85 um brightness temperature < ``bt_max``): the oldest cloud test there is
(ISCCP/CLAVR style).  The two thresholds are tuned by grid search on pixels of the *training* files
only, maximising pixel accuracy (the benchmark's target metric), so the baseline is the best this test
can do on the training distribution, never fitted to the test scenes.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import Dict, Iterable, Tuple

import numpy as np

log = logging.getLogger(__name__)

VIS_CHANNEL = 1  # refs[..., 1] = S2, 0.659 um
BT_CHANNEL = 1  # bts[..., 1] = S8, 10.85 um
GRID = 48  # candidate thresholds per variable (quantiles of the sampled pixels)


@dataclass(frozen=True)
class ThresholdTest:
    """cloud = refs[..., 1] > vis_min and bts[..., 1] < bt_max."""

    vis_min: float
    bt_max: float

    def predict(self, refs: np.ndarray, bts: np.ndarray) -> np.ndarray:
        """Boolean (H, W) cloud mask from raw (not normalised) reflectances and brightness temperatures."""
        return (refs[..., VIS_CHANNEL] > self.vis_min) & (bts[..., BT_CHANNEL] < self.bt_max)

    def as_dict(self) -> Dict[str, float]:
        return {k: float(v) for k, v in asdict(self).items()}


def fit(samples: Iterable[Tuple[np.ndarray, np.ndarray, np.ndarray]]) -> ThresholdTest:
    """Grid-search both thresholds on (vis, bt, truth) pixel samples; the most accurate pair wins.

    The search is exact over the grid: pixels are binned by (vis bin, bt bin), and the accuracy of
    every threshold pair follows from 2-D cumulative sums of the cloud and clear counts.
    """
    vis_l, bt_l, y_l = zip(*samples)
    vis, bt, y = np.concatenate(vis_l), np.concatenate(bt_l), np.concatenate(y_l).astype(bool)
    q = np.linspace(0.0, 1.0, GRID + 1)[1:-1]
    vis_edges, bt_edges = np.unique(np.quantile(vis, q)), np.unique(np.quantile(bt, q))
    vi = np.searchsorted(vis_edges, vis, side="left")  # pixel > vis_edges[k-1] <=> vi >= k
    bi = np.searchsorted(bt_edges, bt, side="right")  # pixel < bt_edges[k] <=> bi <= k
    shape = (len(vis_edges) + 1, len(bt_edges) + 1)
    cloud = np.zeros(shape)
    clear = np.zeros(shape)
    np.add.at(cloud, (vi[y], bi[y]), 1)
    np.add.at(clear, (vi[~y], bi[~y]), 1)
    # counts with vis bin >= a and bt bin <= b: reverse cumsum over vis, forward cumsum over bt
    cloud_in = np.cumsum(np.cumsum(cloud[::-1], axis=0)[::-1], axis=1)
    clear_in = np.cumsum(np.cumsum(clear[::-1], axis=0)[::-1], axis=1)
    correct = cloud_in + (clear.sum() - clear_in)  # tp + tn for each (a, b)
    a, b = np.unravel_index(int(np.argmax(correct[1:, :-1])), (shape[0] - 1, shape[1] - 1))
    test = ThresholdTest(vis_min=float(vis_edges[a]), bt_max=float(bt_edges[b]))
    log.info("slstr_cloud: threshold baseline %s (train pixel accuracy %.4f)", test.as_dict(),
             correct[a + 1, b] / len(y))  # fmt: skip
    return test


def sample_pixels(
    refs: np.ndarray, bts: np.ndarray, truth: np.ndarray, rng: np.random.Generator, n: int = 50_000
) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A random subset of one scene's pixels for ``fit`` (enough for a 48-level grid)."""
    flat = rng.choice(truth.size, size=min(n, truth.size), replace=False)
    iy, ix = np.unravel_index(flat, truth.shape)
    return refs[iy, ix, VIS_CHANNEL], bts[iy, ix, BT_CHANNEL], truth[iy, ix]


__all__ = ["ThresholdTest", "fit", "sample_pixels"]
