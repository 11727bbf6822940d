"""How many processes a run uses, on how many nodes, meeting where.

One process per device (``hardware.device_count``) on each of ``hardware.nodes`` nodes.  A multi-node run
needs a rendezvous endpoint: ``distributed.rdzv_endpoint`` or, under SLURM (e.g. the ``slurm`` launcher),
the job's first node; this node's index comes from ``SLURM_NODEID`` or ``NODE_RANK``.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from typing import Any, Mapping, Optional

from sciml_mlflow.errors import ConfigError

_RDZV_PORT = 29400


@dataclass(frozen=True)
class WorldPlan:
    nnodes: int
    nproc_per_node: int
    node_rank: int
    backend: str  # nccl | gloo
    rdzv_endpoint: str  # host:port
    max_restarts: int = 0

    @property
    def world_size(self) -> int:
        return self.nnodes * self.nproc_per_node


def wanted(cfg: Any) -> bool:
    """Multi-process when asked (``distributed.enabled``) or when the profile has several devices/nodes.

    Inference stays single-process: it has no gradients to average and reads one trained model.
    """
    if cfg.mode != "train":
        return False
    enabled = cfg.distributed.enabled
    if enabled is not None:
        return bool(enabled)
    return int(cfg.hardware.device_count) > 1 or int(cfg.hardware.nodes) > 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _slurm_first_host(env: Mapping[str, str]) -> Optional[str]:
    if "SLURM_JOB_NODELIST" not in env:
        return None
    try:
        from submitit import JobEnvironment  # expands SLURM's compressed node list (node[01-04])

        return str(JobEnvironment().hostnames[0])
    except Exception:
        return None


def plan(cfg: Any, env: Optional[Mapping[str, str]] = None) -> WorldPlan:
    """The process layout for ``cfg`` on this node."""
    env = os.environ if env is None else env
    nnodes, nproc = int(cfg.hardware.nodes), max(1, int(cfg.hardware.device_count))
    backend = cfg.distributed.backend or ("nccl" if cfg.hardware.accelerator == "cuda" else "gloo")
    if backend == "nccl":
        import torch

        if not torch.cuda.is_available():
            backend = "gloo"  # the runner falls back to the CPU too (and tags the mismatch)
    if nnodes == 1:
        return WorldPlan(1, nproc, 0, backend, f"127.0.0.1:{_free_port()}", int(cfg.distributed.max_restarts))
    endpoint = cfg.distributed.rdzv_endpoint
    if not endpoint:
        host = _slurm_first_host(env)
        if host is None:
            raise ConfigError(
                f"hardware.nodes={nnodes} needs a rendezvous endpoint: set distributed.rdzv_endpoint=<node0-host>:"
                f"{_RDZV_PORT} and run the same command on every node with NODE_RANK=<index>, or submit through "
                "SLURM (hydra/launcher=slurm), where node 0 is found automatically")
        endpoint = f"{host}:{_RDZV_PORT}"
    node_rank = env.get("SLURM_NODEID") or env.get("NODE_RANK")
    if node_rank is None:
        raise ConfigError(f"hardware.nodes={nnodes}: this node's index is unknown; set NODE_RANK (0..{nnodes - 1})")
    return WorldPlan(nnodes, nproc, int(node_rank), backend, endpoint, int(cfg.distributed.max_restarts))
