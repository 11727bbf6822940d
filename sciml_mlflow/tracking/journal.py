"""A local, per-run, append-only journal of every metric, written before the store sees it.

Why: metrics are buffered in memory for seconds before a batch reaches the store; a SIGKILL (OOM killer,
scheduler out of patience) or a tracking server that is down would lose them.  Every row is therefore
appended to ``<journal dir>/<run id>.metrics`` first, and ``sciml-mlflow runs reconcile`` replays what
the store lacks.

Cost and durability policy (measured by ``scripts/bench_telemetry.py``):

- one ``os.write`` on an ``O_APPEND`` descriptor per ``log`` call (no Python-side buffer), so a row is in
  the kernel's page cache as soon as ``log`` returns: it survives SIGKILL of the process;
- ``fsync`` after every batch the writer thread sends to the store (at most every flush interval, 5 s)
  and at close: a machine crash loses at most the rows of one interval, never a per-step fsync (ms each);
- the file is removed once a run ended and every row is in the store; otherwise it stays for replay.

Format: a header line, then ``key<TAB>value<TAB>timestamp_ms<TAB>step`` per row (``repr`` of the float,
so ``nan``/``inf`` round-trip).  Files are owner-only (0600).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Iterable, Iterator, List, Optional, Tuple

log = logging.getLogger(__name__)

Row = Tuple[str, float, int, int]
SUFFIX = ".metrics"
HEADER = "# sciml-mlflow metric journal v1\n"
JOURNAL_TAG = "sciml.journal"


def journal_dir() -> Path:
    """``$SCIML_JOURNAL_DIR``, else ``$SCIML_MLFLOW_HOME/journal``, else ``~/.sciml_mlflow/journal``."""
    explicit = os.environ.get("SCIML_JOURNAL_DIR")
    if explicit:
        return Path(explicit).expanduser()
    home = os.environ.get("SCIML_MLFLOW_HOME") or str(Path.home() / ".sciml_mlflow")
    return Path(home).expanduser() / "journal"


class Journal:
    """The open journal of one run (append-only; one ``os.write`` per call)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd: Optional[int] = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        if os.fstat(self._fd).st_size == 0:
            os.write(self._fd, HEADER.encode())

    @classmethod
    def for_run(cls, run_id: str, folder: Optional[Path] = None) -> "Journal":
        return cls((folder or journal_dir()) / f"{run_id}{SUFFIX}")

    def append(self, key: str, value: float, timestamp: int, step: int) -> None:
        os.write(self._fd, f"{key}\t{value!r}\t{timestamp}\t{step}\n".encode())  # type: ignore[arg-type]

    def append_many(self, rows: Iterable[Row]) -> None:
        os.write(self._fd, "".join(f"{k}\t{v!r}\t{t}\t{s}\n" for k, v, t, s in rows).encode())  # type: ignore[arg-type]

    def sync(self) -> None:
        """fsync: the rows so far survive a machine crash (called per store batch and at close)."""
        if self._fd is not None:
            try:
                os.fsync(self._fd)
            except OSError as exc:
                log.warning("fsync of metric journal %s failed: %s", self.path, exc)

    def close(self, remove: bool = False) -> None:
        if self._fd is None:
            return
        self.sync()
        os.close(self._fd)
        self._fd = None
        if remove:
            self.path.unlink(missing_ok=True)


def read(path: Path) -> List[Row]:
    """The rows of a journal; a torn last line (the process died mid-write) is skipped."""
    rows: List[Row] = []
    for line in Path(path).read_text(errors="replace").splitlines():
        if not line or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 4:
            continue
        try:
            rows.append((parts[0], float(parts[1]), int(parts[2]), int(parts[3])))
        except ValueError:
            continue
    return rows


def journals(folder: Optional[Path] = None) -> Iterator[Tuple[str, Path]]:
    """``(run_id, path)`` of every journal in ``folder``."""
    folder = folder or journal_dir()
    if folder.is_dir():
        for p in sorted(folder.glob(f"*{SUFFIX}")):
            yield p.name[: -len(SUFFIX)], p


def missing_rows(client: object, run_id: str, rows: List[Row]) -> List[Row]:
    """The journal rows the store does not hold yet (compared per key on step, timestamp and value)."""
    import math

    out: List[Row] = []
    by_key: dict = {}
    for row in rows:
        by_key.setdefault(row[0], []).append(row)
    for key, krows in by_key.items():
        have = {(m.step, m.timestamp, "nan" if math.isnan(m.value) else m.value)
                for m in client.get_metric_history(run_id, key)}  # type: ignore[attr-defined]
        out += [r for r in krows if (r[3], r[2], "nan" if math.isnan(r[1]) else r[1]) not in have]
    return out


def replay(client: object, run_id: str, path: Path) -> int:
    """Write the rows of ``path`` the store lacks into ``run_id``; returns how many were written."""
    from mlflow.entities import Metric

    todo = missing_rows(client, run_id, read(path))
    for i in range(0, len(todo), 1000):
        client.log_batch(run_id, metrics=[Metric(k, v, t, s) for k, v, t, s in todo[i : i + 1000]],  # type: ignore[attr-defined]
                         synchronous=True)
    return len(todo)


def remove(folder: Optional[Path], run_id: str) -> None:
    """Delete a run's journal once its rows are in the store."""
    ((folder or journal_dir()) / f"{run_id}{SUFFIX}").unlink(missing_ok=True)
