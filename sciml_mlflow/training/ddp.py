"""The DDP helpers under the loop; every helper is a no-op in a single-process run.

Benchmarks on ``training.fit`` need none of them: ``fit`` wraps the model and shards a ``TrainSet``
(``training.sharding``).  Code with its own loop (SciMLBench-style, the DDP toy) uses them directly:

    from sciml_mlflow import distributed
    model = distributed.wrap_model(model.to(ctx.device), ctx.device)
    sampler = distributed.sampler(train_set, shuffle=True, seed=ctx.seed)   # None when single-process
    loader = DataLoader(train_set, batch_size=ctx.hparams.batch_size, sampler=sampler, shuffle=sampler is None)
    val_acc = distributed.all_reduce_mean(val_acc)                          # same value on every rank

``ctx.hparams.batch_size`` stays per device; the global batch size (× world size) is a run param.
Only rank 0's science metrics are recorded, so compute them on the full validation set or average them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, List, Optional, Sequence


@dataclass(frozen=True)
class World:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def _initialized() -> bool:
    import torch.distributed as dist

    return dist.is_available() and dist.is_initialized()


def world() -> World:
    """This process's rank and the world size (rank 0 of 1 outside DDP)."""
    if not _initialized():
        return World()
    import os

    import torch.distributed as dist

    return World(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", "0")))


def wrap_model(model: Any, device: str = "cpu") -> Any:
    """``DistributedDataParallel(model)`` under DDP, the model itself otherwise."""
    if not _initialized():
        return model
    import torch
    from torch.nn.parallel import DistributedDataParallel

    if str(device).startswith("cuda"):
        return DistributedDataParallel(model, device_ids=[torch.cuda.current_device()])
    return DistributedDataParallel(model)


def sampler(dataset: Any, shuffle: bool = True, seed: int = 0) -> Optional[Any]:
    """A DistributedSampler giving each rank its shard, or None single-process (use shuffle= instead)."""
    if not _initialized():
        return None
    from torch.utils.data.distributed import DistributedSampler

    return DistributedSampler(dataset, shuffle=shuffle, seed=seed)


def all_reduce_sum(values: Sequence[float]) -> List[float]:
    """Element-wise sums of ``values`` over all ranks, in one collective (the values themselves single-process)."""
    if not _initialized():
        return [float(v) for v in values]
    import torch
    import torch.distributed as dist

    device = "cuda" if dist.get_backend() == "nccl" else "cpu"
    t = torch.tensor([float(v) for v in values], dtype=torch.float64, device=device)
    dist.all_reduce(t)
    return [float(v) for v in t.tolist()]


def all_reduce_mean(value: float) -> float:
    """The mean of ``value`` over all ranks (the value itself single-process)."""
    if not _initialized():
        return float(value)
    import torch
    import torch.distributed as dist

    device = "cuda" if dist.get_backend() == "nccl" else "cpu"
    t = torch.tensor([float(value)], dtype=torch.float64, device=device)
    dist.all_reduce(t)
    return float(t.item()) / dist.get_world_size()
