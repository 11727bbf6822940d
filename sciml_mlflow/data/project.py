"""The DVC project that versions a data root: its records (dvc.lock), cache and remotes.

A data root is *managed* when it sits inside a DVC project (a folder with ``.dvc/`` and ``dvc.yaml``),
as ``<checkout>/data`` does.  Tests, or users keeping data elsewhere, point ``SCIML_DATA_DIR`` at the
``data/`` folder of another DVC project laid out the same way.  Anything else is *unmanaged* (see
staging.py): generated in place and checked against a locally recorded hash.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Dict, List, Optional

import yaml

log = logging.getLogger(__name__)
STAGE = "generate"  # dvc.yaml foreach stage; one entry per (dataset, scale): generate@<name>-<scale>
REMOTES_ENV = "SCIML_DVC_REMOTES"  # comma list: restrict and reorder the remotes tried


@dataclass(frozen=True)
class Record:
    """What dvc.lock says a dataset folder must contain."""

    stage: str
    path: str  # relative to the project root, POSIX
    md5: str  # DVC hash: <md5>.dir for a folder (<= 36 chars: fits MLflow's digest)
    size: Optional[int] = None
    nfiles: Optional[int] = None


def _reachable_by_config(section: dict, url: str) -> bool:
    """An S3 mirror is tried only once configured: the committed config names buckets, not endpoints, and
    an unconfigured s3:// URL would otherwise go to AWS's public endpoint (a bucket we do not own)."""
    if not url.startswith("s3://"):
        return True
    if section.get("endpointurl") or section.get("profile") or section.get("access_key_id"):
        return True
    return any(os.environ.get(k) for k in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ACCESS_KEY_ID",
                                           "AWS_PROFILE"))


@dataclass(frozen=True)
class Remote:
    """A DVC remote as configured (merged system/global/repo/local config)."""

    name: str
    url: str
    default: bool


def _expand(template: str, item: dict) -> str:
    """``benchmarks/${item.benchmark}/generate.py`` with the foreach item's values."""
    for k, v in item.items():
        template = template.replace("${item.%s}" % k, str(v))
    return template


def stage_name(name: str, scale: str) -> str:
    return f"{STAGE}@{name}-{scale}"


@dataclass(frozen=True)
class DvcProject:
    root: Path

    @classmethod
    def find(cls, start: Path) -> Optional["DvcProject"]:
        """The nearest enclosing project of ``start`` (which need not exist yet), or None."""
        p = Path(start).expanduser().absolute()
        for d in [p, *p.parents]:
            if (d / ".dvc").is_dir() and (d / "dvc.yaml").is_file():
                return cls(d)
            if (d / ".dvc").is_dir():  # a DVC project without our stages: not ours to drive
                return None
        return None

    @property
    def dvc_dir(self) -> Path:
        return self.root / ".dvc"

    def relpath(self, path: Path) -> str:
        return Path(os.path.abspath(path)).relative_to(self.root).as_posix()

    def stages(self) -> Dict[str, dict]:
        """Stage name -> definition for our foreach stage (generate@<name>-<scale>)."""
        try:
            raw = yaml.safe_load((self.root / "dvc.yaml").read_text()) or {}
        except (OSError, yaml.YAMLError) as exc:
            log.warning("cannot read %s: %s", self.root / "dvc.yaml", exc)
            return {}
        gen = (raw.get("stages") or {}).get(STAGE) or {}
        items = gen.get("foreach") or {}
        return {f"{STAGE}@{k}": v for k, v in items.items()} if isinstance(items, dict) else {}

    def record(self, out: str) -> Optional[Record]:
        """The dvc.lock entry whose output is ``out`` (project-relative), or None when never recorded."""
        try:
            lock = yaml.safe_load((self.root / "dvc.lock").read_text()) or {}
        except FileNotFoundError:
            return None
        for stage, body in (lock.get("stages") or {}).items():
            for o in body.get("outs") or []:
                if o.get("path") == out and o.get("md5"):
                    return Record(stage, out, o["md5"], o.get("size"), o.get("nfiles"))
        return None

    def dep_changes(self, stage: str) -> List[str]:
        """Dependencies of ``stage`` whose md5 differs from dvc.lock (or that dvc.yaml and dvc.lock list
        differently): what ``dvc status`` reports as "changed deps".  [] when the record is current.

        DVC 3 hashes a file dependency as the md5 of its bytes, so this needs no DVC process.
        """
        import hashlib

        try:
            lock = yaml.safe_load((self.root / "dvc.lock").read_text()) or {}
        except FileNotFoundError:
            lock = {}
        recorded = {d["path"]: d.get("md5") for d in ((lock.get("stages") or {}).get(stage) or {}).get("deps") or []}
        item = self.stages().get(stage) or {}
        declared = [_expand(d, item) for d in self._stage_template().get("deps") or []]
        changed = sorted(set(declared) ^ set(recorded))
        for path in sorted(set(declared) & set(recorded)):
            f = self.root / path
            md5 = hashlib.md5(f.read_bytes(), usedforsecurity=False).hexdigest() if f.is_file() else None
            if md5 != recorded[path]:
                changed.append(path)
        return changed

    def _stage_template(self) -> dict:
        try:
            raw = yaml.safe_load((self.root / "dvc.yaml").read_text()) or {}
        except (OSError, yaml.YAMLError):
            return {}
        return ((raw.get("stages") or {}).get(STAGE) or {}).get("do") or {}

    @cached_property
    def config(self) -> dict:
        from dvc.config import Config  # DVC's own merge of system, global, repo and local levels

        return Config(dvc_dir=str(self.dvc_dir))

    def cache_dir(self) -> Path:
        d = self.config.get("cache", {}).get("dir")
        return Path(d) if d else self.dvc_dir / "cache"

    def cache_object(self, md5: str) -> Path:
        return self.cache_dir() / "files" / "md5" / md5[:2] / md5[2:]

    def listing(self, record: Record) -> Optional[Dict[str, str]]:
        """relpath -> md5 of a folder record, from DVC's cache (None when the .dir object is absent)."""
        if not record.md5.endswith(".dir"):
            return None
        try:
            entries = json.loads(self.cache_object(record.md5).read_text())
        except (OSError, ValueError):
            return None
        return {e["relpath"]: e["md5"] for e in entries}

    def in_cache(self, record: Record) -> bool:
        """Every object of the record is in the local cache (presence only; content is checked after checkout)."""
        if not record.md5.endswith(".dir"):
            return self.cache_object(record.md5).is_file()
        listing = self.listing(record)
        return listing is not None and all(self.cache_object(m).is_file() for m in listing.values())

    def drop_cache(self, record: Record) -> None:
        """Remove the record's objects from the cache so the next fetch downloads them again."""
        for md5 in list((self.listing(record) or {}).values()) + [record.md5]:
            p = self.cache_object(md5)
            if p.exists():
                p.chmod(0o644)
                p.unlink()

    def remotes(self, only: Optional[str] = None) -> List[Remote]:
        """Remotes in priority order: ``SCIML_DVC_REMOTES`` if set, else the default then declaration order."""
        conf = self.config
        default = conf.get("core", {}).get("remote")
        declared = {n: Remote(n, str(r.get("url", "")), n == default) for n, r in conf.get("remote", {}).items()}
        if only:
            if only not in declared:
                from sciml_mlflow.errors import DataError

                raise DataError(f"no DVC remote named {only!r} in {self.dvc_dir}/config; configured: "
                                f"{', '.join(declared) or 'none'} (`dvc remote list`)")
            return [declared[only]]
        env = [n.strip() for n in os.environ.get(REMOTES_ENV, "").split(",") if n.strip()]
        if env:
            return [declared[n] for n in env if n in declared]
        order = sorted(declared, key=lambda n: n != default)  # stable: default first, then as declared
        usable = [n for n in order if _reachable_by_config(conf["remote"][n], declared[n].url)]
        skipped = sorted(set(order) - set(usable))
        if skipped:
            log.info("S3 remote(s) %s skipped: no endpoint or credentials configured (set endpointurl with "
                     "`dvc remote modify --local`, AWS_ENDPOINT_URL or AWS credentials to use them)", ", ".join(skipped))
        return [declared[n] for n in usable]

    def git_revision(self, rel: str = "dvc.lock") -> str:
        """Commit of the last change to the record file, with ``+dirty`` when the working copy differs."""
        try:
            rev = subprocess.run(["git", "log", "-n1", "--format=%H", "--", rel], cwd=self.root,
                                 capture_output=True, text=True, timeout=10).stdout.strip()
            dirty = subprocess.run(["git", "status", "--porcelain", "--", rel], cwd=self.root,
                                   capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            return "unknown"
        return (rev or "uncommitted") + ("+dirty" if dirty and rev else "")
