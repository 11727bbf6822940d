"""``sciml-mlflow data list|info|status|pull|push|verify``: the dataset store from the command line."""

from __future__ import annotations

import argparse
import logging
import time
from typing import Any, List, Optional

ACTIONS = ("list", "info", "status", "pull", "push", "verify")


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("data", help="datasets: cards, DVC pull/push from mirrors, verification",
                              description="Datasets versioned by DVC (docs/data.md).")
    p.add_argument("action", choices=ACTIONS)
    p.add_argument("name", nargs="?", help="dataset name (a card in conf/dataset/); not for `list`")
    p.add_argument("--scale", "-s", default=None, help="tiny | small | full (default: small; status: all)")
    p.add_argument("--remote", "-r", default=None, help="use only this DVC remote (default: all, in priority order)")
    p.add_argument("--force", "-f", action="store_true", help="pull: re-fetch even if present (repairs corruption)")
    p.set_defaults(func=run)


def _mb(n: int) -> str:
    return f"{n / 1e6:,.1f} MB"


def _project_and_path(name: str, scale: str):
    from sciml_mlflow.data.project import DvcProject
    from sciml_mlflow.data.staging import dataset_dir

    path = dataset_dir(name, scale)
    return DvcProject.find(path.parent.parent), path


def _scales(card: Any, scale: Optional[str]) -> List[str]:
    return [scale] if scale else list(card.scales) or ["tiny", "small", "full"]


def _list() -> int:
    from sciml_mlflow.data.card import list_cards

    cards = list_cards()
    if not cards:
        print("no dataset cards found (conf/dataset/*.yaml)")
        return 0
    print(f"{'name':<14} {'version':<8} {'benchmark':<16} {'recorded scales':<20} description")
    for c in cards:
        recorded = []
        for s in _scales(c, None):
            project, path = _project_and_path(c.name, s)
            if project and project.record(project.relpath(path)):
                recorded.append(s)
        print(f"{c.name:<14} {c.version:<8} {c.benchmark:<16} {','.join(recorded) or '-':<20} "
              f"{' '.join(c.description.split())[:70]}")
    return 0


def _info(name: str) -> int:
    import yaml

    from sciml_mlflow.data.card import get_card

    c = get_card(name)
    print(f"{c.name} v{c.version} (benchmark {c.benchmark}) — card {c.path}")
    print(" ".join(c.description.split()))
    print(f"licence: {c.licence}")
    if c.real_data:
        print("real data:\n  " + yaml.safe_dump(c.real_data, sort_keys=False).replace("\n", "\n  ").rstrip())
    if c.layout:
        print("layout:\n  " + yaml.safe_dump(c.layout, sort_keys=False).replace("\n", "\n  ").rstrip())
    for s in _scales(c, None):
        project, path = _project_and_path(name, s)
        rec = project.record(project.relpath(path)) if project else None
        size = c.scales.get(s, {})
        hash_text = f"{rec.md5} ({_mb(rec.size or 0)}, {rec.nfiles} files)" if rec else "not recorded"
        print(f"scale {s:<6} {hash_text}  {size}")
    project, _ = _project_and_path(name, "small")
    if project:
        print("remotes (priority order): " + ", ".join(f"{r.name}={r.url}" for r in project.remotes()))
    return 0


def _status(name: str, scale: Optional[str], full: bool = False) -> int:
    """One line per scale: the state in dvc status's terms and the fix (sciml_mlflow/data/status.py)."""
    from sciml_mlflow.data.card import get_card
    from sciml_mlflow.data.status import dataset_status

    card = get_card(name)
    bad = 0
    for s in _scales(card, scale):
        st = dataset_status(name, s, full=full)
        bad += st.word in ("CORRUPT", "modified", "unrecorded") or bool(st.changed_deps)
        print(st.line())
    return 1 if bad else 0


def _pull(name: str, scale: str, remote: Optional[str], force: bool) -> int:
    from sciml_mlflow.data.staging import prepare

    t0 = time.perf_counter()
    staged = prepare(name, scale, force=force, remote=remote, show=True, allow_generate=False)
    dt = time.perf_counter() - t0
    print(f"{name} ({scale}): {staged.path} from {staged.tags.get('dataset.remote', staged.source)} "
          f"[{staged.source}] — {staged.files} files, {_mb(staged.bytes)} in {dt:.1f} s "
          f"({staged.bytes / 1e6 / max(dt, 1e-9):,.0f} MB/s); digest {staged.digest}")
    return 0


def _push(name: str, scale: str, remote: Optional[str]) -> int:
    from sciml_mlflow.data import transfer
    from sciml_mlflow.data.staging import prepare
    from sciml_mlflow.errors import DataError

    staged = prepare(name, scale)  # verified before anything leaves this machine
    project, path = _project_and_path(name, scale)
    if project is None:
        raise DataError(f"{path} is not inside a DVC project: nothing to push it with (docs/data.md)")
    out = project.relpath(path)
    from sciml_mlflow.data.project import stage_name
    from sciml_mlflow.data.staging import _save_to_dvc_cache

    if staged.tags.get("dataset.unrecorded") == "true":
        raise DataError(f"{name} ({scale}) at {path} is not the version dvc.lock records ({staged.digest}); only "
                        f"recorded data is pushed: record it first (`dvc repro {stage_name(name, scale)}`, commit "
                        "dvc.lock)")
    _save_to_dvc_cache(project, stage_name(name, scale))  # generated by a run: objects not yet in DVC's cache
    for r in project.remotes(remote):
        t0 = time.perf_counter()
        transfer.push(project, out, r, show=True)
        print(f"pushed {name} ({scale}) {staged.digest} to {r.name} ({r.url}): {_mb(staged.bytes)} in "
              f"{time.perf_counter() - t0:.1f} s")
    print("commit dvc.lock so others can pull this exact version")
    return 0


def _verify(name: str, scale: str) -> int:
    """Every byte re-hashed; the same words as ``status``; exit 1 unless intact."""
    from sciml_mlflow.data.status import dataset_status

    st = dataset_status(name, scale, full=True)
    print(st.line())
    return 0 if st.ok else 1


def run(args: argparse.Namespace) -> int:
    from sciml_mlflow.errors import SciMLError

    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    if args.action != "list" and not args.name:
        print(f"error: `data {args.action}` needs a dataset NAME (see `sciml-mlflow data list`)")
        return 2
    scale = args.scale or "small"
    try:
        if args.action == "list":
            return _list()
        if args.action == "info":
            return _info(args.name)
        if args.action == "status":
            return _status(args.name, args.scale)
        if args.action == "pull":
            return _pull(args.name, scale, args.remote, args.force)
        if args.action == "push":
            return _push(args.name, scale, args.remote)
        return _verify(args.name, scale)
    except SciMLError as exc:
        print(f"error: {exc}")
        return 1
