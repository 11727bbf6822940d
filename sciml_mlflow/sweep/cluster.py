"""A real one-host SLURM cluster on this machine: MUNGE + slurmctld + slurmd on 127.0.0.1, all in one folder.

Why: ``hydra/launcher=slurm`` (submitit) must be tried against a real ``sbatch``, real job states,
walltime and ``scancel``, not only submitit's local executor.  Debian's ``slurm-wlm`` 22.05 and ``munge``
packages (``bash scripts/ci_services.sh``) give the daemons; this module writes their configuration,
a fresh MUNGE key and the sockets into one folder, starts the three daemons in the foreground as our own
children (stopped by pid, never as system services), and sizes the one partition from the machine
(``nproc`` CPUs, its memory).  Clients find it through ``SLURM_CONF`` (``Cluster.env()``).

SLURM 22.05 still ships ``auth/none`` but it is unauthenticated and gone in later releases; we use
``auth/munge`` with a MUNGE daemon on a socket inside the folder (``AuthInfo=socket=...``), as a site does.
Accounting is real too: submitit follows its jobs with ``sacct`` (a job it cannot see stays UNKNOWN and is
waited for forever), so a MariaDB server (datadir and socket in the folder, TCP on 127.0.0.1 at a free
port, a random password for the ``slurm`` user) backs ``slurmdbd``.

    sciml-mlflow-slurm up            (scripts/slurm_cluster.py)   -> prints `export SLURM_CONF=...`
    sciml-mlflow-slurm down <dir>
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

from sciml_mlflow.errors import SciMLError

log = logging.getLogger(__name__)

DAEMONS = ("munged", "mariadbd", "slurmdbd", "slurmctld", "slurmd")
PARTITION = "local"
STATE_FILE = "cluster.json"


class ClusterError(SciMLError):
    """The local SLURM cluster could not be started, or a command against it failed."""


def missing_binaries() -> List[str]:
    """The SLURM/MUNGE programs this machine lacks (empty when the cluster can start)."""
    need = ("munged", "mariadbd", "mariadb-install-db", "mariadb", "slurmdbd", "slurmctld", "slurmd", "sbatch",
            "srun", "squeue", "sinfo", "scancel", "sacct", "sacctmgr", "scontrol")
    return [b for b in need if shutil.which(b) is None]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _memory_mb() -> int:
    try:
        pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        return max(256, int(pages * size / 2**20 * 0.9))  # leave the OS some
    except (ValueError, OSError):
        return 1024


@dataclass
class Cluster:
    """A running (or stopped) local cluster rooted at ``root``."""

    root: Path
    node: str
    cpus: int
    ctld_port: int
    slurmd_port: int
    dbd_port: int = 0
    db_port: int = 0
    kill_wait: int = 5
    cred_expire: int = 10  # seconds; also how long a requeued job waits before it may start again (default 120)
    oversubscribe: int = 1  # jobs that may share one CPU (OverSubscribe=FORCE:n); 1: none
    pids: Dict[str, int] = field(default_factory=dict)

    @property
    def conf(self) -> Path:
        return self.root / "slurm.conf"

    @property
    def munge_socket(self) -> Path:
        return self.root / "munge" / "munge.socket"


    @property
    def partition(self) -> str:
        return PARTITION

    def env(self, base: Optional[Dict[str, str]] = None) -> Dict[str, str]:
        """``base`` (default: this process's environment) pointing SLURM's commands at this cluster."""
        env = dict(os.environ if base is None else base)
        env["SLURM_CONF"] = str(self.conf)
        return env

    def command(self, *args: str, timeout: float = 30, check: bool = True) -> str:
        """Run a SLURM client command against this cluster; its stdout."""
        proc = subprocess.run(list(args), env=self.env(), capture_output=True, text=True, timeout=timeout)
        if check and proc.returncode != 0:
            raise ClusterError(f"`{' '.join(args)}` against the local cluster at {self.root} exited "
                               f"{proc.returncode}: {proc.stderr.strip() or proc.stdout.strip()}; "
                               f"see the daemon logs in {self.root / 'log'}")
        return proc.stdout

    def node_state(self) -> str:
        """The node's state as ``sinfo`` prints it (``idle``, ``mixed``, ``alloc``, ``down``...)."""
        return self.command("sinfo", "-h", "-N", "-o", "%t").strip()

    def job_states(self, job_ids: List[str]) -> Dict[str, str]:
        """States of jobs (array tasks as ``<id>_<i>``, steps left out) from ``sacct``: id -> state."""
        out = self.command("sacct", "-X", "-n", "-P", "-o", "JobID,State", "-j", ",".join(job_ids))
        states: Dict[str, str] = {}
        for line in out.splitlines():
            if "|" in line:
                jid, state = line.split("|", 1)
                states[jid.strip()] = state.strip().split()[0]
        return states

    def save(self) -> None:
        data = {"root": str(self.root), "node": self.node, "cpus": self.cpus, "ctld_port": self.ctld_port,
                "slurmd_port": self.slurmd_port, "dbd_port": self.dbd_port, "db_port": self.db_port, "kill_wait": self.kill_wait, "cred_expire": self.cred_expire,
                "oversubscribe": self.oversubscribe, "pids": self.pids}
        (self.root / STATE_FILE).write_text(json.dumps(data, indent=1))

    @classmethod
    def load(cls, root: Path) -> "Cluster":
        path = Path(root) / STATE_FILE
        if not path.is_file():
            raise ClusterError(f"{root} holds no local SLURM cluster ({STATE_FILE} missing); start one with "
                               "`sciml-mlflow-slurm up`")
        data = json.loads(path.read_text())
        data["root"] = Path(data["root"])
        return cls(**data)

    def stop(self) -> None:
        """Cancel what is still queued or running (a job's step can outlive its result), wait for it to go,
        then stop the daemons by pid (slurmd first, munged last: SIGTERM, then SIGKILL after 10 s)."""
        if self.pids.get("slurmctld") and _alive(self.pids["slurmctld"]):
            try:
                jobs = self.command("squeue", "-h", "-o", "%i", check=False).split()
                if jobs:
                    self.command("scancel", *jobs, check=False)
                    deadline = time.monotonic() + self.kill_wait + 15
                    while self.command("squeue", "-h", "-o", "%i", check=False).split() and time.monotonic() < deadline:
                        time.sleep(0.3)
            except (ClusterError, subprocess.TimeoutExpired, OSError) as exc:
                log.warning("could not cancel the jobs left on the local cluster at %s: %s", self.root, exc)
        for name in reversed(DAEMONS):
            pid = self.pids.get(name)
            if not pid:
                continue
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and _alive(pid):
                time.sleep(0.05)
            if _alive(pid):
                log.warning("%s (pid %d) ignored SIGTERM: killing it", name, pid)
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        self.pids = {}
        if (self.root / STATE_FILE).exists():
            self.save()


def _alive(pid: int) -> bool:
    try:
        waited, _ = os.waitpid(pid, os.WNOHANG)  # our child: reap it
        if waited == pid:
            return False
    except ChildProcessError:
        pass  # not our child (stopped from another process): probe it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie of someone else counts as gone
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except (OSError, IndexError):
        return True


def _slurm_conf(c: Cluster, memory_mb: int) -> str:
    user = "root" if os.geteuid() == 0 else os.environ.get("USER") or str(os.geteuid())
    r = c.root
    share = f" OverSubscribe=FORCE:{c.oversubscribe}" if c.oversubscribe > 1 else ""
    return f"""# Written by sciml_mlflow.sweep.cluster: a one-host cluster on 127.0.0.1 (see docs/sweeps.md)
ClusterName=sciml
SlurmctldHost={c.node}(127.0.0.1)
SlurmctldPort={c.ctld_port}
SlurmdPort={c.slurmd_port}
SlurmUser={user}
SlurmdUser={user}
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={c.munge_socket},cred_expire={c.cred_expire}
StateSaveLocation={r / "state"}
SlurmdSpoolDir={r / "spool"}
SlurmctldPidFile={r / "slurmctld.pid"}
SlurmdPidFile={r / "slurmd.pid"}
SlurmctldLogFile={r / "log" / "slurmctld.log"}
SlurmdLogFile={r / "log" / "slurmd.log"}
SlurmdDebug=info
SlurmctldDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=1
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=30
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=127.0.0.1
AccountingStoragePort={c.dbd_port}
AccountingStoragePass={c.munge_socket}
ReturnToService=2
KillWait={c.kill_wait}
MinJobAge=3600
InactiveLimit=0
MessageTimeout=20
SlurmdTimeout=60
OverTimeLimit=0
RebootProgram=/bin/true
NodeName={c.node} NodeAddr=127.0.0.1 NodeHostname={c.node} CPUs={c.cpus} RealMemory={memory_mb} State=UNKNOWN
PartitionName={PARTITION} Nodes={c.node} Default=YES MaxTime=INFINITE State=UP{share}
"""


def _slurmdbd_conf(c: Cluster, user: str, password: str) -> str:
    r = c.root
    return f"""# Written by sciml_mlflow.sweep.cluster (owner-only: it holds the database password)
AuthType=auth/munge
AuthInfo=socket={c.munge_socket}
DbdHost=localhost
DbdAddr=127.0.0.1
DbdPort={c.dbd_port}
SlurmUser={user}
PidFile={r / "slurmdbd.pid"}
LogFile={r / "log" / "slurmdbd.log"}
DebugLevel=info
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort={c.db_port}
StorageUser=slurm
StoragePass={password}
StorageLoc=slurm_acct_db
"""


_DB_OPTS = ["--innodb-log-file-size=4M", "--innodb-buffer-pool-size=32M", "--innodb-flush-log-at-trx-commit=0",
            "--skip-log-bin"]


def _start_database(c: Cluster, timeout: float) -> str:
    """A private MariaDB for slurmdbd: returns the ``slurm`` user's (random) password."""
    import secrets

    db = c.root / "db"
    db.mkdir(exist_ok=True)
    user = ["--user=root"] if os.geteuid() == 0 else []
    proc = subprocess.run(["mariadb-install-db", "--no-defaults", f"--datadir={db / 'data'}", *user,
                           "--auth-root-authentication-method=socket", "--skip-test-db", *_DB_OPTS],
                          capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise ClusterError(f"mariadb-install-db failed in {db} (exit {proc.returncode}): {proc.stderr[-2000:]}")
    sock = db / "mysqld.sock"
    c.pids["mariadbd"] = _spawn(["mariadbd", "--no-defaults", f"--datadir={db / 'data'}", *user,
                                 f"--socket={sock}", f"--port={c.db_port}", "--bind-address=127.0.0.1",
                                 f"--pid-file={db / 'mariadbd.pid'}", f"--log-error={c.root / 'log' / 'mariadbd.log'}",
                                 "--performance-schema=OFF", "--skip-name-resolve", *_DB_OPTS],
                                c.root / "log" / "mariadbd.out")
    password = secrets.token_hex(16)
    sql = (f"CREATE USER 'slurm'@'127.0.0.1' IDENTIFIED BY '{password}'; "
           "GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';")

    def _ready() -> bool:
        if not sock.exists():
            return False
        out = subprocess.run(["mariadb", "--no-defaults", f"--socket={sock}", "-u", "root", "-e", sql],
                             capture_output=True, text=True, timeout=20)
        return out.returncode == 0

    _wait(_ready, timeout, "MariaDB to accept the slurm user", c)
    return password


def start(root: Optional[Path] = None, cpus: Optional[int] = None, kill_wait: int = 5,
          timeout: float = 30, oversubscribe: int = 1) -> Cluster:
    """Write the configuration into ``root`` (a fresh temp folder by default), start the daemons, wait until
    ``sinfo`` shows the node idle.  ``cpus`` defaults to the machine's (``nproc``); ``oversubscribe`` > 1 lets
    that many jobs share a CPU (jobs that mostly wait, as in the tests)."""
    missing = missing_binaries()
    if missing:
        raise ClusterError(f"cannot start a local SLURM cluster: {', '.join(missing)} not found on PATH; install "
                           "them with `bash scripts/ci_services.sh` (Debian: slurmctld slurmd slurm-client munge)")
    root = Path(root) if root else Path(tempfile.mkdtemp(prefix="sciml-slurm-"))
    for sub in ("munge", "state", "spool", "log"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    os.chmod(root, 0o711)  # others may reach the MUNGE socket (munged wants that), not list or write
    os.chmod(root / "munge", 0o711)
    n = cpus or (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))
    c = Cluster(root=root, node=socket.gethostname().split(".")[0], cpus=int(n), ctld_port=_free_port(),
                slurmd_port=_free_port(), dbd_port=_free_port(), db_port=_free_port(), kill_wait=kill_wait,
                oversubscribe=max(1, int(oversubscribe)))
    c.conf.write_text(_slurm_conf(c, _memory_mb()))
    user = "root" if os.geteuid() == 0 else os.environ.get("USER") or str(os.geteuid())
    key = root / "munge" / "munge.key"
    key.write_bytes(os.urandom(1024))
    os.chmod(key, 0o600)
    logs = root / "log"
    try:
        m = root / "munge"
        c.pids["munged"] = _spawn(["munged", "-F", "--force", f"--socket={c.munge_socket}", f"--key-file={key}",
                                   f"--pid-file={m / 'munged.pid'}", f"--log-file={logs / 'munged.log'}",
                                   f"--seed-file={m / 'munged.seed'}", "--num-threads=2"], logs / "munged.out")
        _wait(lambda: c.munge_socket.exists(), timeout, "munged to open its socket", c)
        password = _start_database(c, timeout)
        dbd_conf = root / "slurmdbd.conf"
        fd = os.open(dbd_conf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(_slurmdbd_conf(c, user, password))
        c.pids["slurmdbd"] = _spawn(["slurmdbd", "-D"], logs / "slurmdbd.out", c,
                                    {"SLURM_CONF": str(c.conf)})
        _wait(lambda: "sciml" in c.command("sacctmgr", "-i", "add", "cluster", "sciml", check=False)
              or "sciml" in c.command("sacctmgr", "-n", "-P", "list", "cluster", "format=Cluster", check=False),
              timeout * 2, "slurmdbd to register the cluster", c)
        c.pids["slurmctld"] = _spawn(["slurmctld", "-D", "-i", "-f", str(c.conf)], logs / "slurmctld.out", c)
        c.pids["slurmd"] = _spawn(["slurmd", "-D", "-f", str(c.conf), "-N", c.node], logs / "slurmd.out", c)
        c.save()
        _wait(lambda: c.command("sinfo", "-h", "-N", "-o", "%t", check=False).strip() == "idle", timeout,
              "the node to be idle in sinfo", c)
    except BaseException:
        c.stop()
        raise
    log.info("local SLURM cluster up: %s, partition %s, %d CPU(s), SLURM_CONF=%s", c.node, PARTITION, c.cpus, c.conf)
    return c


def _spawn(cmd: List[str], out: Path, c: Optional[Cluster] = None, extra: Optional[Dict[str, str]] = None) -> int:
    env = c.env() if c else dict(os.environ)
    env.update(extra or {})
    with open(out, "ab") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                                start_new_session=True)
    return proc.pid


def _wait(ready, timeout: float, what: str, c: Cluster) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name, pid in c.pids.items():
            if not _alive(pid):
                raise ClusterError(f"{name} exited while waiting for {what}; its log: "
                                   f"{c.root / 'log' / (name + '.out')} and {c.root / 'log'}/{name}.log:\n"
                                   + _tail(c.root / "log", name))
        try:
            if ready():
                return
        except (ClusterError, subprocess.TimeoutExpired):
            pass
        time.sleep(0.2)
    raise ClusterError(f"timed out after {timeout:.0f} s waiting for {what} (cluster at {c.root}):\n"
                       + "".join(_tail(c.root / "log", n) for n in DAEMONS))


def _tail(logs: Path, name: str, lines: int = 15) -> str:
    text = ""
    for f in (logs / f"{name}.log", logs / f"{name}.out"):
        if f.is_file():
            text += f"--- {f}\n" + "\n".join(f.read_text(errors="replace").splitlines()[-lines:]) + "\n"
    return text
