"""Make a benchmark's dataset present and intact before its entry point runs.

Order, for ``<data root>/<name>/<scale>`` in a DVC project (see project.py):

1. under a per-dataset file lock (a second run waits, then finds the data ready);
2. present -> verified against the dvc.lock record (stat cache + sampled fingerprint, see verify.py);
   a mismatch is a DataIntegrityError naming the file and both hashes; ``force`` re-fetches instead;
3. absent -> objects from the local DVC cache, else fetched from each remote in priority order
   (a dead mirror or a missing object moves on to the next), then checked out and verified in full;
4. nobody has it -> generated in place by the stage's command (never ``dvc repro``, which would rewrite
   the committed dvc.lock) and hashed: equal to the record -> used (and saved to DVC's cache); different
   -> DataRecordMismatchError, or with ``accept_unrecorded`` used and tagged as a distinct version.

A run never modifies a committed file.

Outside a DVC project (an installed wheel, a scratch data root) the data is generated in place,
atomically, and later uses are verified against the hash recorded then.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Optional

from sciml_mlflow.core.resources import default_data_root
from sciml_mlflow.data.generate import generate_into  # noqa: F401  (the dvc.yaml command; re-exported)
from sciml_mlflow.data.project import DvcProject, Record, stage_name
from sciml_mlflow.data.verify import HashCache, VerifyResult, verify_tree
from sciml_mlflow.errors import DataError, DataIntegrityError, DataRecordMismatchError

log = logging.getLogger(__name__)
STATE_DIR = ".sciml-state"  # in the data root, beside (never inside) the dataset folders
LOCK_TIMEOUT_S = 3600.0  # a concurrent generation of a full-scale dataset can take this long


@dataclass(frozen=True)
class StagedDataset:
    """Where a dataset is and where it came from (recorded on the run)."""

    name: str
    scale: str
    path: Path
    source: str  # URL of the remote that served it, "generated", or "workspace"
    digest: Optional[str] = None  # DVC hash of the folder (<md5>.dir)
    tags: Dict[str, str] = field(default_factory=dict)
    files: int = 0
    bytes: int = 0


def dataset_dir(name: str, scale: str, root: Optional[str] = None) -> Path:
    """``root`` names the dataset folder itself (e.g. real data elsewhere); default ``<data root>/<name>/<scale>``."""
    return Path(root).expanduser() if root else default_data_root() / name / scale


def _state(path: Path) -> Path:
    return path.parent.parent / STATE_DIR / f"{path.parent.name}-{path.name}"


def _lock(path: Path):
    from filelock import FileLock

    lock_file = _state(path).with_suffix(".lock")
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    return FileLock(str(lock_file), timeout=LOCK_TIMEOUT_S)


def _read_meta(path: Path) -> Dict[str, Any]:
    try:
        return json.loads(_state(path).with_suffix(".meta.json").read_text())
    except (OSError, ValueError):
        return {}


def _write_meta(path: Path, **meta: Any) -> None:
    f = _state(path).with_suffix(".meta.json")
    tmp = f.with_name(f".{f.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(meta, indent=1, sort_keys=True))
    os.replace(tmp, f)


def _cache(path: Path) -> HashCache:
    return HashCache.load(_state(path).with_suffix(".hashes.json"))




def _generate(name: str, scale: str, path: Path, benchmark: Optional[str]) -> None:
    """Generate into ``path``, or say plainly that this benchmark has no generator (SciMLBench folders)."""
    if benchmark:
        from sciml_mlflow.core import registry

        folder = Path(registry.get(benchmark).path)
        if not any((folder / f).is_file() for f in ("generate.py", "dataset.py")):
            raise DataError(f"benchmark {benchmark!r}: its data folder {path} does not exist and it has no "
                            f"generator (benchmarks/{benchmark}/generate.py: generate(root, scale, seed)); put the "
                            "data there or pass benchmark.dataset.root=PATH")
    generate_into(name, scale, path, benchmark)


def _card_facts(name: str) -> tuple[str, Optional[str]]:
    """(version, benchmark) from the card; a dataset without a card still stages (version 'uncarded')."""
    from sciml_mlflow.data.card import get_card

    try:
        card = get_card(name)
    except DataError as exc:
        log.warning("%s", exc)
        return "uncarded", None
    return card.version, card.benchmark


def prepare(name: str, scale: str, benchmark: Optional[str] = None, force: bool = False,
            remote: Optional[str] = None, show: bool = False, root: Optional[str] = None,
            accept_unrecorded: bool = False, allow_generate: bool = True) -> StagedDataset:
    """Stage ``name`` at ``scale`` (see the module docstring); ``remote`` restricts the remotes tried.

    ``accept_unrecorded``: data whose hash is not the dvc.lock record is used, tagged as a distinct
    version, instead of being an error.  ``allow_generate=False`` (``data pull``): fail with one line
    when no remote holds the record instead of generating it.

    Example: ``prepare("dms_sim", "tiny").path`` -> ``<checkout>/data/dms_sim/tiny``, verified.
    """
    version, card_benchmark = _card_facts(name)
    benchmark = benchmark or card_benchmark
    path = dataset_dir(name, scale, root)
    if root:  # the user's own folder (e.g. the real data): used as given, generated only when absent
        if path.exists():
            return StagedDataset(name, scale, path, "workspace", tags={"dataset.version": version})
        if not benchmark:
            raise DataError(f"dataset {name!r} ({scale}) is missing at {path} and has no card naming a generator")
        _generate(name, scale, path, benchmark)
        return StagedDataset(name, scale, path, "generated", tags={"dataset.version": version})
    project = DvcProject.find(path.parent.parent)
    with _lock(path):
        if project is not None and (project.record(project.relpath(path)) or stage_name(name, scale) in project.stages()):
            return _stage_managed(project, name, scale, path, version, force, remote, show, benchmark,
                                  accept_unrecorded, allow_generate)
        return _stage_unmanaged(name, scale, path, version, benchmark, force)


def _tags(version: str, remote: str, rev: str) -> Dict[str, str]:
    return {"dataset.version": version, "dataset.remote": remote, "dataset.dvc_rev": rev}


def _staged(name: str, scale: str, path: Path, source: str, res: VerifyResult, tags: Dict[str, str]) -> StagedDataset:
    return StagedDataset(name, scale, path, source, res.digest, tags, res.files, res.bytes)


def _mismatch(name: str, scale: str, path: Path, digest: str, record: Record, stage: str,
              deps_changed: bool) -> DataRecordMismatchError:
    why = ("the generator files changed since dvc.lock was recorded" if deps_changed else
           "the generator files are the ones recorded, so this is a generator bug or a foreign environment: "
           "please report it")
    return DataRecordMismatchError(
        f"dataset {name} ({scale}) at {path} hashes to {digest}, but dvc.lock records {record.md5} ({why}). "
        f"Nothing was changed. To fix: fetch the recorded bytes (`sciml-mlflow data pull {name} --scale {scale} "
        f"--force` with a remote that has them); or, if the generator changed on purpose, re-record with "
        f"`dvc repro {stage}` and commit dvc.lock; or run with benchmark.dataset.accept_unrecorded=true to use "
        f"this data, recorded on the run as a distinct dataset version")


def _unrecorded(name: str, scale: str, path: Path, version: str, res: VerifyResult,
                record: Optional[Record], rev: str) -> StagedDataset:
    """Data that is not the dvc.lock record, used on explicit request: tagged so it never passes for it."""
    tags = _tags(f"{version}+unrecorded.{res.digest[:8]}", "generated", rev)
    tags.update({"dataset.unrecorded": "true", "dataset.recorded_digest": record.md5 if record else "none"})
    log.warning("dataset %s (%s): using unrecorded data %s (dvc.lock records %s): recorded on the run as "
                "version %s", name, scale, res.digest, record.md5 if record else "nothing", tags["dataset.version"])
    return _staged(name, scale, path, "generated", res, tags)


def _generate_checked(project: DvcProject, name: str, scale: str, path: Path, benchmark: Optional[str],
                      show: bool) -> VerifyResult:
    """Run the stage's generator into ``path`` (never ``dvc repro``: that would rewrite dvc.lock) and hash it."""
    from sciml_mlflow.data.verify import dir_digest, file_md5, list_files

    if path.exists():
        shutil.rmtree(path)
    _generate(name, scale, path, benchmark)
    cache = _cache(path)
    listing = {rel: file_md5(path / rel, cache, full=True)[0] for rel in list_files(path)}
    cache.save()
    digest = dir_digest(listing)
    _write_meta(path, digest=digest, remote="generated", source="generated", listing=listing)
    return verify_tree(path, digest, cache, listing)


def _stage_managed(project: DvcProject, name: str, scale: str, path: Path, version: str, force: bool,
                   only: Optional[str], show: bool, benchmark: Optional[str] = None,
                   accept_unrecorded: bool = False, allow_generate: bool = True) -> StagedDataset:
    from sciml_mlflow.data import transfer

    out = project.relpath(path)
    record = project.record(out)
    stage = stage_name(name, scale)
    rev = project.git_revision()
    hint = f"repair it with `sciml-mlflow data pull {name} --scale {scale} --force`"
    if path.exists() and not force:
        meta = _read_meta(path)
        if meta.get("digest") and (record is None or meta["digest"] != record.md5):
            # generated here and not the record (or nothing is recorded): never passed off as the record
            res = verify_tree(path, meta["digest"], _cache(path), meta.get("listing"), repair_hint=hint)
            if accept_unrecorded or record is None:
                return _unrecorded(name, scale, path, version, res, record, rev)
            raise _mismatch(name, scale, path, res.digest, record, stage, bool(project.dep_changes(stage)))
        if record is None:
            raise DataError(f"dataset {name} ({scale}) is present at {path} but dvc.lock has no record of it "
                            f"and it was not generated by this project; record it with `dvc repro {stage}` "
                            "or remove the folder")
        else:
            res = verify_tree(path, record.md5, _cache(path), project.listing(record), repair_hint=hint)
            remote = meta.get("remote", "workspace") if meta.get("digest") == record.md5 else "workspace"
            source = meta.get("source", "workspace") if meta.get("digest") == record.md5 else "workspace"
            log.info("dataset %s (%s): present and intact at %s (%d files, %.2f s)", name, scale, path, res.files,
                     res.seconds)
            return _staged(name, scale, path, source, res, _tags(version, remote, rev))
    tried_out: list = []
    if record:
        if force and path.exists():  # DVC's state (inode, size, mtime) can vouch for corrupt files: remove them
            shutil.rmtree(path)
        served = _fetch(project, record, only, force, show, tried_out)
        if served is not None:
            remote, url, fresh = served
            if not fresh or not path.exists():
                transfer.checkout(project, out, force=True)
            res = _verify_after_fetch(project, record, path, hint, trust_dvc=fresh)
            if res is None:  # the cache held bad bytes: drop them and fetch once more from the remotes
                project.drop_cache(record)
                served = _fetch(project, record, only, True, show)
                if served is None:
                    raise DataIntegrityError(f"{path}: no remote holds intact bytes for record {record.md5}")
                remote, url, fresh = served
                if not path.exists():
                    transfer.checkout(project, out, force=True)
                res = verify_tree(path, record.md5, _cache(path), project.listing(record), full=True, repair_hint=hint)
            _write_meta(path, digest=record.md5, remote=remote, source=url)
            return _staged(name, scale, path, url, res, _tags(version, remote, rev))
    if stage not in project.stages():
        raise DataError(f"dataset {name!r} ({scale}): no remote holds record {record.md5 if record else '?'} and "
                        f"{project.root}/dvc.yaml has no stage {stage} to generate it; configure a remote that "
                        "has it (`dvc remote list`) or add the stage")
    if not allow_generate:
        tried = "; ".join(tried_out) or "no usable remote configured (`dvc remote list`)"
        raise DataError(f"dataset {name} ({scale}): no remote holds record {record.md5 if record else '(none)'} "
                        f"[tried: {tried}]; generate it instead (same bytes on every machine): `dvc repro {stage}`, "
                        f"or run the benchmark, which generates it when no remote has it")
    log.warning("dataset %s (%s): no remote has it: generating it (this can take a while)", name, scale)
    res = _generate_checked(project, name, scale, path, benchmark, show)
    if record is not None and res.digest == record.md5:
        _save_to_dvc_cache(project, stage)
        log.warning("dataset %s (%s) generated locally; its hash matches dvc.lock (%s). Share it: "
                    "`sciml-mlflow data push %s --scale %s [--remote R]`", name, scale, res.digest, name, scale)
        return _staged(name, scale, path, "generated", res, _tags(version, "generated", rev))
    if accept_unrecorded or record is None:
        return _unrecorded(name, scale, path, version, res, record, rev)
    raise _mismatch(name, scale, path, res.digest, record, stage, bool(project.dep_changes(stage)))


def _save_to_dvc_cache(project: DvcProject, stage: str) -> None:
    """Put freshly generated bytes that match the record into DVC's cache (so ``dvc status`` and ``dvc push``
    see them) with ``dvc commit``, which rewrites dvc.lock: its bytes are put back if they changed at all."""
    from sciml_mlflow.data import transfer

    lock = project.root / "dvc.lock"
    before = lock.read_bytes() if lock.exists() else None
    try:
        proc = transfer.run_dvc(project, ["commit", "--force", stage])
        if proc.returncode != 0:
            log.warning("`dvc commit %s` failed (%s): the data is intact but not in DVC's cache", stage,
                        transfer._reason(proc))
    finally:
        if before is not None and lock.read_bytes() != before:
            lock.write_bytes(before)
            log.warning("`dvc commit %s` changed dvc.lock: restored the committed version", stage)


def _fetch(project: DvcProject, record: Record, only: Optional[str], force: bool,
           show: bool, tried_out: Optional[list] = None) -> Optional[tuple[str, str, bool]]:
    """(remote name, url, fresh) that delivered the record's objects (fresh: just downloaded and placed), or None."""
    from sciml_mlflow.data import transfer

    if not force and project.in_cache(record):
        log.info("dataset %s: objects already in the DVC cache: no transfer", record.path)
        meta = _read_meta(project.root / record.path)
        return meta.get("remote", "cache"), meta.get("source", f"file://{project.cache_dir()}"), False
    remotes = project.remotes(only)
    if not remotes:
        log.warning("dataset %s: no DVC remote configured (`dvc remote list`)", record.path)
        return None
    if force:
        project.drop_cache(record)
    attempts = transfer.fetch(project, record.path, remotes, lambda: project.in_cache(record), show=show)
    ok = [a for a in attempts if a.ok]
    if ok:
        return ok[0].remote.name, ok[0].remote.url, True
    tried = "; ".join(f"{a.remote.name} ({a.remote.url}): {a.reason} [{a.seconds:.1f} s]" for a in attempts)
    if tried_out is not None:
        tried_out.extend(f"{a.remote.name}: {a.reason}" for a in attempts)
    log.warning("dataset %s: no remote delivered record %s — %s", record.path, record.md5, tried)
    return None


def _verify_after_fetch(project: DvcProject, record: Record, path: Path, hint: str,
                        trust_dvc: bool = False) -> Optional[VerifyResult]:
    """Check freshly placed files; None when they do not match.

    ``trust_dvc``: the objects were just downloaded from a remote with ``verify = true`` (DVC hashed them
    on arrival) and copied into place by the same DVC process, so the record's md5s are written into our
    stat cache without reading the bytes a third time; the sampled fingerprint is taken now and guards
    every later use.  Otherwise (objects that sat in the cache) every file is hashed in full.
    """
    cache = _cache(path)
    listing = project.listing(record)
    if trust_dvc and listing is not None and all(_verify_remote_flag(project)):
        for rel, md5 in listing.items():
            if (path / rel).is_file():
                cache.remember(path / rel, md5)
    try:
        return verify_tree(path, record.md5, cache, listing, full=not trust_dvc, repair_hint=hint)
    except DataIntegrityError as exc:
        log.warning("freshly checked-out data does not match its record (%s): re-fetching", exc)
        return None


def _verify_remote_flag(project: DvcProject) -> list:
    """Every configured remote verifies downloads (``verify = true``), else we hash ourselves."""
    return [bool(r.get("verify")) for r in project.config.get("remote", {}).values()]


def _stage_unmanaged(name: str, scale: str, path: Path, version: str, benchmark: Optional[str],
                     force: bool) -> StagedDataset:
    meta = _read_meta(path)
    hint = f"repair it with `sciml-mlflow data pull {name} --scale {scale} --force` (regenerates it)"
    if path.exists() and not force and meta.get("digest"):
        res = verify_tree(path, meta["digest"], _cache(path), meta.get("listing"), repair_hint=hint)
        return _staged(name, scale, path, meta.get("source", "generated"), res,
                       _tags(version, meta.get("remote", "generated"), "none"))
    if not benchmark:
        raise DataError(f"dataset {name!r} ({scale}) is missing at {path}, no DVC project manages it and no card "
                        f"names its generator; add conf/dataset/{name}.yaml")
    log.info("dataset %s (%s) not found at %s (no DVC project manages %s): generating it", name, scale, path,
             path.parent.parent)
    _generate(name, scale, path, benchmark)
    from sciml_mlflow.data.verify import dir_digest, file_md5, list_files

    cache = _cache(path)
    listing = {rel: file_md5(path / rel, cache, full=True)[0] for rel in list_files(path)}
    digest = dir_digest(listing)
    cache.save()
    _write_meta(path, digest=digest, remote="generated", source="generated", listing=listing)
    res = verify_tree(path, digest, cache)
    return _staged(name, scale, path, "generated", res, _tags(version, "generated", "none"))


def stage_dataset(spec: Any, name: str, scale: str, root: Optional[str] = None,
                  accept_unrecorded: bool = False) -> StagedDataset:
    """The runner's hook: ``prepare`` with the benchmark's own generator as the fallback."""
    return prepare(name, scale, benchmark=getattr(spec, "name", None) if _card_facts(name)[1] is None else None,
                   root=root, accept_unrecorded=accept_unrecorded)
