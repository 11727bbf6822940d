"""Check that a dataset folder holds exactly the bytes its DVC record names, fast when nothing changed.

Why not trust DVC alone: DVC's state keys a file's hash on (inode, size, mtime), so a write that keeps
the size and restores the mtime goes unnoticed.  We key our own cache on (inode, size, mtime_ns,
ctime_ns): ctime cannot be set from user space, so any content write or utime reset invalidates the
entry and the file is re-hashed in full.  On a cache hit we also re-read a small sampled fingerprint
(``SAMPLES`` blocks spread over the file), which catches in-place corruption that leaves all metadata
alone (bit rot, raw block writes) *only where it hits a sampled block* — a full re-hash
(``data verify``) is the only complete check.  The record's hash is DVC's: per-file md5 of the content,
and for a folder md5 of the sorted JSON listing plus ``.dir`` (reproduced in ``dir_digest``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

from sciml_mlflow.errors import DataIntegrityError

log = logging.getLogger(__name__)
CHUNK = 4 << 20  # read size of the full hash
SAMPLES = 16  # blocks read for the fingerprint on a cache hit
SAMPLE_BLOCK = 64 << 10


def md5_file(path: Path, on_bytes: Optional[Callable[[int], None]] = None) -> str:
    """md5 of a file's content, as DVC computes it (hash ``md5`` in DVC 3); ``on_bytes(n)`` after each read."""
    h = hashlib.md5(usedforsecurity=False)
    with open(path, "rb", buffering=0) as f:
        buf = bytearray(CHUNK)
        view = memoryview(buf)
        while n := f.readinto(buf):
            h.update(view[:n])
            if on_bytes is not None:
                on_bytes(n)
    return h.hexdigest()


def sample_fingerprint(path: Path, size: int) -> str:
    """blake2b of ``SAMPLES`` blocks at fixed, evenly spread offsets (cheap: ~1 MiB read per file)."""
    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as f:
        last = max(size - SAMPLE_BLOCK, 0)
        for i in range(SAMPLES):
            f.seek(last * i // max(SAMPLES - 1, 1))
            h.update(f.read(SAMPLE_BLOCK))
    return h.hexdigest()


def dir_digest(md5s: Dict[str, str]) -> str:
    """DVC's folder hash from relpath -> md5 (what dvc.lock records for a folder output)."""
    listing = [{"md5": md5s[k], "relpath": k} for k in sorted(md5s)]
    raw = json.dumps(listing, sort_keys=True).encode("utf-8")
    return hashlib.md5(raw, usedforsecurity=False).hexdigest() + ".dir"


def _stat_key(st: os.stat_result) -> List[int]:
    return [st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]


def list_files(root: Path) -> List[str]:
    """Relative POSIX paths of the regular files under ``root`` (what DVC tracks in a folder output)."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d != ".dvc")
        for name in filenames:
            out.append(Path(dirpath, name).relative_to(root).as_posix())
    return sorted(out)


@dataclass
class HashCache:
    """Stat-keyed md5 cache of one dataset folder, stored as JSON next to (never inside) the folder."""

    path: Path
    entries: Dict[str, dict]

    @classmethod
    def load(cls, path: Path) -> "HashCache":
        try:
            return cls(path, json.loads(path.read_text()))
        except (OSError, ValueError):
            return cls(path, {})

    def save(self) -> None:
        """Atomic: a concurrent reader sees the old or the new cache, never half of one."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(self.entries, indent=0, sort_keys=True))
        os.replace(tmp, self.path)

    def remember(self, file: Path, md5: str) -> None:
        """Record a hash computed (or vouched for) right now for the file as it is on disk."""
        st = file.stat()
        self.entries[str(file)] = {"stat": _stat_key(st), "md5": md5, "sample": sample_fingerprint(file, st.st_size)}


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of a successful check."""

    digest: str  # the folder's DVC hash (equals the record)
    files: int
    bytes: int
    rehashed: int  # files hashed in full this time (0 = everything came from the stat cache)
    seconds: float


def file_md5(file: Path, cache: HashCache, full: bool = False,
             on_bytes: Optional[Callable[[int], None]] = None) -> Tuple[str, bool]:
    """(md5, rehashed): from the stat cache when the file is unchanged and its fingerprint matches."""
    st = file.stat()
    entry = cache.entries.get(str(file))
    if not full and entry and entry.get("stat") == _stat_key(st):
        if entry.get("sample") == sample_fingerprint(file, st.st_size):
            if on_bytes is not None:
                on_bytes(st.st_size)
            return entry["md5"], False
        log.warning("%s: metadata unchanged but sampled content differs: re-hashing in full", file)
    md5 = md5_file(file, on_bytes)
    cache.entries[str(file)] = {"stat": _stat_key(st), "md5": md5, "sample": sample_fingerprint(file, st.st_size)}
    return md5, True


def verify_tree(root: Path, expected: str, cache: HashCache, listing: Optional[Dict[str, str]] = None,
                full: bool = False, repair_hint: str = "") -> VerifyResult:
    """Raise DataIntegrityError unless ``root`` hashes to ``expected`` (a DVC ``<md5>.dir`` or file md5).

    ``listing`` (relpath -> md5, from DVC's cache) lets the error name the exact file that differs.
    Example: ``verify_tree(Path("data/dms_sim/tiny"), "3f2c...dir", HashCache.load(state))``.
    """
    t0 = time.perf_counter()
    hint = repair_hint or "re-fetch it with `sciml-mlflow data pull NAME --force`"
    if root.is_file():  # a single-file output
        md5, re = file_md5(root, cache, full)
        cache.save()
        if md5 != expected:
            raise DataIntegrityError(f"{root}: content hash {md5} differs from the DVC record {expected}; "
                                     f"the file is corrupt or was modified; {hint}")
        return VerifyResult(md5, 1, root.stat().st_size, int(re), time.perf_counter() - t0)
    files = list_files(root)
    if listing is not None and set(files) != set(listing):
        missing = sorted(set(listing) - set(files))
        extra = sorted(set(files) - set(listing))
        raise DataIntegrityError(f"{root}: files differ from the DVC record {expected} (missing: "
                                 f"{', '.join(missing) or 'none'}; unexpected: {', '.join(extra) or 'none'}); {hint}")
    md5s: Dict[str, str] = {}
    rehashed = total = 0
    from sciml_mlflow.data.progress import Meter

    size = sum((root / rel).stat().st_size for rel in files)
    try:
        with Meter(f"verifying {root.parent.name}/{root.name}", size, "B", quiet_below_s=2.0) as meter:
            for rel in files:
                f = root / rel
                md5s[rel], re = file_md5(f, cache, full, on_bytes=lambda n: meter.update(None, n))
                rehashed += re
                total += f.stat().st_size
                if listing is not None and md5s[rel] != listing[rel]:
                    raise DataIntegrityError(f"{f}: content hash {md5s[rel]} differs from the DVC record "
                                             f"{listing[rel]} (dataset record {expected}); the file is corrupt or "
                                             f"was modified; {hint}")
    finally:
        cache.save()
    digest = dir_digest(md5s)
    if digest != expected:
        raise DataIntegrityError(f"{root}: folder hash {digest} differs from the DVC record {expected}; "
                                 f"a file is corrupt, missing or extra; {hint}")
    return VerifyResult(digest, len(files), total, rehashed, time.perf_counter() - t0)
