"""Which training items each process visits in an epoch: the framework shuffles and shards, not benchmarks.

A benchmark hands ``fit`` a :class:`TrainSet` (how many items it has, and how to batch a given order of
them); ``fit`` asks :func:`epoch_order` for this process's items of the epoch and the benchmark only turns
them into batches.  Under DDP every rank gets a disjoint share of equal length (torch's
``DistributedSampler``: the same seeded permutation on every rank, ``set_epoch`` per epoch, the last items
repeated to even the shares), so the ranks step the same number of times and the gradient all-reduce never
waits on a rank that ran out of batches.  Single-process it is one seeded permutation of every item.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable

from sciml_mlflow.training.ddp import world


@dataclass(frozen=True)
class TrainSet:
    """The training set as the loop sees it.

    ``batches(order)`` yields the batches of items ``order`` (an int64 numpy array of item positions
    ``0 .. size-1``, in the order to visit them, ``batch_size`` at a time).  An item is whatever the
    benchmark counts as one sample of the epoch (a pattern, a crop draw, a patch, a scene file).
    """

    size: int
    batches: Callable[[Any], Iterable[Any]]
    batch_size: int
    shuffle: bool = True

    def n_batches(self, items: int) -> int:
        return -(-items // self.batch_size)

    def batches_per_epoch(self) -> int:
        """Batches this process steps per epoch (its share of the items, batched): what a per-step
        learning-rate schedule counts."""
        return self.n_batches(-(-self.size // world().world_size))


def epoch_order(size: int, epoch: int, seed: int, shuffle: bool = True) -> Any:
    """This process's item positions for ``epoch`` (1-based), as an int64 numpy array.

    The permutation depends on ``seed`` and ``epoch`` only, so every rank draws the same one and takes
    its own stride of it; a new epoch draws a new permutation (``DistributedSampler.set_epoch``).
    """
    import numpy as np
    from torch.utils.data.distributed import DistributedSampler

    if size <= 0:
        return np.zeros(0, dtype=np.int64)
    w = world()
    sampler = DistributedSampler(range(size), num_replicas=w.world_size, rank=w.rank, shuffle=shuffle, seed=seed,
                                 drop_last=False)
    sampler.set_epoch(epoch)
    return np.fromiter(iter(sampler), dtype=np.int64, count=len(sampler))
