"""What state a dataset folder is in, in the words ``dvc status`` would use, with the fix to suggest.

Why a module: ``data status`` (fast, stat cache) and ``data verify`` (full re-hash) must say the same
thing, and agree with ``dvc status``: "CORRUPT" is only said of bytes that *were* the record (we placed
or verified them) and changed since; intact data of another version is "unrecorded"; bytes of unknown
origin that differ from the record are "modified" (DVC's word).  A changed generator is reported as
DVC reports it: "changed deps".
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import List

from sciml_mlflow.errors import DataIntegrityError


@dataclass(frozen=True)
class DatasetStatus:
    """One (dataset, scale): ``word`` is missing | intact | unrecorded | modified | CORRUPT | not recorded."""

    name: str
    scale: str
    path: Path
    word: str
    detail: str
    hint: str
    changed_deps: List[str]
    ok: bool

    def line(self) -> str:
        deps = (f"; generator changed since dvc.lock was recorded (dvc status: changed deps: "
                f"{', '.join(self.changed_deps)}): re-record with `dvc repro generate@{self.name}-{self.scale}` "
                "and commit dvc.lock") if self.changed_deps else ""
        hint = f" — {self.hint}" if self.hint else ""
        return f"{self.name} {self.scale:<6} {self.word}{': ' + self.detail if self.detail else ''}{hint}{deps}"


def dataset_status(name: str, scale: str, full: bool = False) -> DatasetStatus:
    """Classify ``<data root>/<name>/<scale>``; ``full`` re-hashes every byte (``data verify``)."""
    from sciml_mlflow.data.project import DvcProject, stage_name
    from sciml_mlflow.data.staging import _cache, _read_meta, dataset_dir
    from sciml_mlflow.data.verify import verify_tree

    path = dataset_dir(name, scale)
    project = DvcProject.find(path.parent.parent)
    rec = project.record(project.relpath(path)) if project else None
    stage = stage_name(name, scale)
    deps = project.dep_changes(stage) if project and rec else []
    pull = f"`sciml-mlflow data pull {name} --scale {scale}`"
    force = f"`sciml-mlflow data pull {name} --scale {scale} --force` (or regenerate: `dvc repro {stage}`)"

    def out(word: str, detail: str = "", hint: str = "", ok: bool = False) -> DatasetStatus:
        return DatasetStatus(name, scale, path, word, detail, hint, deps, ok and not deps)

    if not path.exists():
        if rec is None:
            has_stage = bool(project) and stage in project.stages()
            return out("missing", "no dvc.lock record", f"generate it: `dvc repro {stage}`" if has_stage else
                       f"a run generates it (`python -m sciml_mlflow.data.generate {name} {scale} {path}`)")
        return out("missing", f"recorded {rec.md5} (dvc status: not in cache, or deleted)",
                   f"{pull}, or run the benchmark (it generates the same bytes when no remote has them)")
    meta = _read_meta(path)
    if rec is None:
        if not (project and stage in project.stages()):  # e.g. full: generated in place, checked on every use
            return out("not recorded", "present; no DVC stage for this scale (generated in place, or real data)",
                       ok=True)
        return out("not recorded", "present, but dvc.lock has no record", f"record it: `dvc repro {stage}`")
    try:
        res = verify_tree(path, rec.md5, _cache(path), project.listing(rec), full=full)
        return out("intact", f"{res.files} files, {res.bytes / 1e6:,.1f} MB, checked in {res.seconds:.2f} s"
                   + (" (every byte re-hashed)" if full else ""), ok=True)
    except DataIntegrityError as exc:
        mismatch = str(exc).split(";")[0]
    if meta.get("digest") and meta["digest"] != rec.md5:
        try:
            verify_tree(path, meta["digest"], _cache(path), meta.get("listing"), full=full)
            return out("unrecorded", f"intact data of another version ({meta['digest']}, generated here), not "
                       f"the recorded {rec.md5} (dvc status: modified)",
                       f"fetch the recorded bytes: {force}; runs refuse it unless "
                       "benchmark.dataset.accept_unrecorded=true")
        except DataIntegrityError:
            pass  # it was generated here and has changed since: corrupt
    elif not meta.get("digest"):
        return out("modified", f"{mismatch} (origin unknown; dvc status: modified)", f"replace it: {force}")
    return out("CORRUPT", mismatch, f"repair it: {force}")


def statuses(name: str, scales: List[str], full: bool = False) -> List[DatasetStatus]:
    return [dataset_status(name, s, full) for s in scales]


__all__ = ["DatasetStatus", "dataset_status", "statuses"]
