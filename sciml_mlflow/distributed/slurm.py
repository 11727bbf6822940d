"""A DDP rank's identity from SLURM's environment, for processes that ``srun`` started (one task per rank).

``torchrun`` hands each worker RANK, LOCAL_RANK, WORLD_SIZE and a rendezvous; ``srun --ntasks=N`` starts N
processes itself and tells each who it is in SLURM's own variables: SLURM_PROCID (global rank),
SLURM_LOCALID (rank on this node), SLURM_NTASKS (world size), SLURM_NODEID and SLURM_JOB_NODELIST (the
master is the first host of the compressed list, expanded by ``scontrol show hostnames``).  Under ``srun``
the launching side (launch.py) then runs the worker in-process with torch's ``env://`` variables derived
from these instead of starting torch's elastic launcher (which would start N more processes per task).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from typing import Dict, List, Mapping, Optional

from sciml_mlflow.errors import DistributedError

_PORT_BASE, _PORT_SPAN = 20000, 20000


@dataclass(frozen=True)
class SlurmRank:
    """One srun task as a DDP rank."""

    rank: int
    local_rank: int
    world_size: int
    local_world_size: int
    node_rank: int
    nnodes: int
    master_addr: str
    master_port: int
    job_id: str

    def torch_env(self) -> Dict[str, str]:
        """The variables torch's ``env://`` rendezvous and sciml_mlflow's worker read (torchrun's names)."""
        return {"RANK": str(self.rank), "LOCAL_RANK": str(self.local_rank), "WORLD_SIZE": str(self.world_size),
                "LOCAL_WORLD_SIZE": str(self.local_world_size), "GROUP_RANK": str(self.node_rank),
                "MASTER_ADDR": self.master_addr, "MASTER_PORT": str(self.master_port)}


def hostnames(nodelist: str) -> List[str]:
    """SLURM's compressed node list (``node[01-03],gpu7``) expanded, in order: ``scontrol show hostnames``,
    or a plain parse of the common forms where scontrol is not on PATH."""
    if shutil.which("scontrol"):
        proc = subprocess.run(["scontrol", "show", "hostnames", nodelist], capture_output=True, text=True, timeout=30)
        if proc.returncode == 0 and proc.stdout.strip():
            return proc.stdout.split()
    hosts: List[str] = []
    for prefix, ranges, plain in re.findall(r"([^,\[]+)\[([^\]]+)\]|([^,\[\]]+)", nodelist):
        if plain:
            hosts.append(plain)
            continue
        for part in ranges.split(","):
            lo, _, hi = part.partition("-")
            for i in range(int(lo), int(hi or lo) + 1):
                hosts.append(f"{prefix}{i:0{len(lo)}d}")
    return hosts


def from_env(env: Optional[Mapping[str, str]] = None) -> Optional[SlurmRank]:
    """This process's rank when it is one of several tasks of an srun step, else None.

    None for a batch script's own shell, a one-task step (torchrun then spreads over the devices), and
    processes torchrun started (they have RANK already: torchrun's identity wins).
    """
    env = os.environ if env is None else env
    if "SLURM_PROCID" not in env or "SLURM_STEP_ID" not in env or "TORCHELASTIC_RUN_ID" in env:
        return None
    ntasks = int(env.get("SLURM_STEP_NUM_TASKS") or env.get("SLURM_NTASKS") or 1)
    if ntasks <= 1:
        return None
    nodelist = env.get("SLURM_STEP_NODELIST") or env.get("SLURM_JOB_NODELIST") or env.get("SLURM_NODELIST")
    if not nodelist:
        raise DistributedError("srun task without SLURM_JOB_NODELIST: cannot find the DDP master node; run the "
                               "tasks through srun inside an allocation (sbatch/salloc)")
    hosts = hostnames(nodelist)
    nnodes = int(env.get("SLURM_STEP_NUM_NODES") or env.get("SLURM_NNODES") or len(hosts) or 1)
    job_id = env.get("SLURM_JOB_ID", "0")
    port = env.get("MASTER_PORT") or str(_PORT_BASE + (int(job_id) * 16 + int(env.get("SLURM_STEP_ID", "0") or 0))
                                         % _PORT_SPAN)
    per_node = [int(x) for x in re.findall(r"\d+", env.get("SLURM_STEP_TASKS_PER_NODE", ""))[:1]] or [ntasks // nnodes]
    return SlurmRank(rank=int(env["SLURM_PROCID"]), local_rank=int(env.get("SLURM_LOCALID", "0")),
                     world_size=ntasks, local_world_size=max(1, per_node[0]), node_rank=int(env.get("SLURM_NODEID", "0")),
                     nnodes=nnodes, master_addr=env.get("MASTER_ADDR") or _address(hosts[0]), master_port=int(port),
                     job_id=job_id)


def _address(host: str) -> str:
    """The master's address: the node's ``NodeAddr`` as SLURM knows it (127.0.0.1 on the local cluster), else
    what the host name resolves to, else the name itself."""
    import socket

    if shutil.which("scontrol"):
        proc = subprocess.run(["scontrol", "show", "node", host], capture_output=True, text=True, timeout=30)
        found = re.search(r"\bNodeAddr=(\S+)", proc.stdout) if proc.returncode == 0 else None
        if found and found.group(1) != "(null)":
            return found.group(1)
    try:
        return socket.gethostbyname(host)
    except OSError:
        return host
