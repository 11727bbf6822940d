"""Which process of a multi-process run this is, from torch elastic's environment (torchrun).

Read here, in the framework, so benchmarks never look at ``os.environ``.  The metric naming scheme
(docs/telemetry.md, "Multi-process runs"):

- rank 0 (and single-process runs) log ``system/<name>`` exactly like MLflow's own monitor;
- any other rank logs ``system/rank_<RANK>/<name>``;
- node-wide collectors (cpu, disk, network, rapl) run only where ``LOCAL_RANK`` is 0, so a node's energy
  is counted once; per-process collectors (memory, gpu) run on every rank, the GPU collector watching
  only the device of its local rank when several are visible.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from typing import Dict, Mapping, Optional


@dataclass(frozen=True)
class ProcessIdentity:
    rank: int = 0  # global rank (RANK)
    local_rank: int = 0  # rank on this node (LOCAL_RANK)
    node_rank: int = 0  # node index (GROUP_RANK, else NODE_RANK)
    world_size: int = 1  # processes in the job (WORLD_SIZE)
    host: str = ""

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    @property
    def metric_prefix(self) -> str:
        """Prefix inside ``system/``: empty for rank 0, ``rank_<r>/`` otherwise."""
        return "" if self.rank == 0 else f"rank_{self.rank}/"

    def tags(self) -> Dict[str, str]:
        if not self.distributed:
            return {}
        return {"telemetry.rank": str(self.rank), "telemetry.local_rank": str(self.local_rank),
                "telemetry.node_rank": str(self.node_rank), "telemetry.world_size": str(self.world_size),
                "telemetry.node": self.host}


def _int(env: Mapping[str, str], *names: str) -> Optional[int]:
    for n in names:
        v = env.get(n)
        if v is not None and v.strip().lstrip("-").isdigit():
            return int(v)
    return None


def process_identity(env: Optional[Mapping[str, str]] = None) -> ProcessIdentity:
    """This process's place in the job; a single-process run is rank 0 of 1."""
    env = os.environ if env is None else env
    return ProcessIdentity(
        rank=_int(env, "RANK") or 0,
        local_rank=_int(env, "LOCAL_RANK") or 0,
        node_rank=_int(env, "GROUP_RANK", "NODE_RANK") or 0,
        world_size=_int(env, "WORLD_SIZE") or 1,
        host=socket.gethostname(),
    )
