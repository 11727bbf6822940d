"""Run DVC for one dataset: fetch from each remote in turn, check out, reproduce, push.

DVC runs as a subprocess (``python -m dvc``) of this interpreter: its failures stay in its own
process, a hung transfer can be bounded by ``SCIML_DVC_TIMEOUT_S``, and its progress bars reach the
terminal when the caller asks for them.  Botocore retries are capped so a dead mirror costs seconds.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, List, Sequence

from sciml_mlflow.data.project import DvcProject, Remote
from sciml_mlflow.errors import DataError

log = logging.getLogger(__name__)
TIMEOUT_ENV = "SCIML_DVC_TIMEOUT_S"

# Botocore defaults retry up to 5 times with backoff; one retry is enough on a healthy mirror and keeps a
# dead one from costing minutes.  Connect/read timeouts are set per remote in .dvc/config.
_ENV = {"DVC_NO_ANALYTICS": "1", "AWS_EC2_METADATA_DISABLED": "true", "AWS_MAX_ATTEMPTS": "2",
        "AWS_RETRY_MODE": "standard"}


@dataclass(frozen=True)
class Attempt:
    """One remote tried for one dataset."""

    remote: Remote
    ok: bool
    seconds: float
    reason: str = ""


def _env() -> dict:
    env = {**os.environ}
    for k, v in _ENV.items():
        env.setdefault(k, v)
    # dvc.yaml commands say `python`: make it this interpreter even when the venv is not activated
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def run_dvc(project: DvcProject, args: Sequence[str], show: bool = False) -> subprocess.CompletedProcess:
    """``dvc --wait-for-lock ARGS`` in the project; output captured unless ``show`` (progress to the terminal)."""
    timeout = float(os.environ[TIMEOUT_ENV]) if os.environ.get(TIMEOUT_ENV) else None
    cmd = [sys.executable, "-m", "dvc", "--wait-for-lock", *args]
    log.debug("running %s in %s", " ".join(cmd[2:]), project.root)
    try:
        return subprocess.run(cmd, cwd=project.root, env=_env(), timeout=timeout, text=True,
                              capture_output=not show, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        return subprocess.CompletedProcess(cmd, 124, "", f"timed out after {exc.timeout:.0f} s ({TIMEOUT_ENV})")


def _reason(proc: subprocess.CompletedProcess) -> str:
    text = "\n".join(x for x in (proc.stderr, proc.stdout) if x)
    lines = [ln.strip() for ln in text.splitlines() if ("ERROR" in ln or "error" in ln.lower())
             and not ln.strip().startswith("<https://")]
    return (lines[-1] if lines else text.strip().splitlines()[-1] if text.strip() else f"exit {proc.returncode}")[:300]


def fetch(project: DvcProject, target: str, remotes: List[Remote], complete: Callable[[], bool],
          show: bool = False) -> List[Attempt]:
    """Try ``dvc pull -r R target`` for each remote in order; stop at the first that delivers everything.

    ``complete()`` says whether the cache now holds every object: DVC exits 0 on some partial fetches
    (e.g. a local remote folder that does not exist), so its exit code alone is not trusted.
    """
    attempts: List[Attempt] = []
    for remote in remotes:
        t0 = time.perf_counter()
        folder = _local_folder(project, remote)
        if folder is not None and not folder.is_dir():  # DVC would spend seconds to say "missing files"
            reason = f"remote folder {folder} does not exist"
            log.warning("dataset %s: remote %r: %s; trying the next", target, remote.name, reason)
            attempts.append(Attempt(remote, False, time.perf_counter() - t0, reason))
            continue
        # pull = fetch + checkout in one DVC process (a DVC start costs seconds); a failed checkout of
        # missing objects makes it exit non-zero, and `complete()` double-checks the cache
        proc = run_dvc(project, ["pull", "-r", remote.name, target], show=show)
        dt = time.perf_counter() - t0
        if proc.returncode == 0 and complete():
            log.info("dataset %s: served by remote %r (%s) in %.1f s", target, remote.name, remote.url, dt)
            attempts.append(Attempt(remote, True, dt))
            return attempts
        if proc.returncode == 0 or "missing" in _reason(proc).lower() or "Checkout failed" in (proc.stderr or ""):
            reason = f"the remote lacks objects of {target}"
        else:
            reason = _reason(proc) if not show else f"exit {proc.returncode}"
        log.warning("dataset %s: remote %r (%s) failed after %.1f s: %s; trying the next", target, remote.name,
                    remote.url, dt, reason)
        attempts.append(Attempt(remote, False, dt, reason))
    return attempts


def _local_folder(project: DvcProject, remote: Remote) -> "Path | None":
    """The folder of a local (path) remote, resolved as DVC does (relative to .dvc/); None for URLs."""
    url = remote.url
    if "://" in url and not url.startswith("file://"):
        return None
    path = Path(url[len("file://"):] if url.startswith("file://") else url).expanduser()
    return path if path.is_absolute() else (project.dvc_dir / path).resolve()


def checkout(project: DvcProject, target: str, force: bool = False) -> None:
    proc = run_dvc(project, ["checkout", *(["--force"] if force else []), target])
    if proc.returncode != 0:
        raise DataError(f"`dvc checkout {target}` failed in {project.root}: {_reason(proc)}; the objects are in "
                        f"the cache but could not be placed; try `sciml-mlflow data pull NAME --force`")


def reproduce(project: DvcProject, stage: str, show: bool = False) -> None:
    proc = run_dvc(project, ["repro", "--single-item", stage], show=show)
    if proc.returncode != 0:
        raise DataError(f"`dvc repro {stage}` failed in {project.root}: {_reason(proc) if not show else proc.returncode}"
                        f"; run it by hand to see the generator's output")


def push(project: DvcProject, target: str, remote: Remote, show: bool = False) -> None:
    proc = run_dvc(project, ["push", "-r", remote.name, target], show=show)
    if proc.returncode != 0:
        raise DataError(f"`dvc push -r {remote.name} {target}` to {remote.url} failed: "
                        f"{_reason(proc) if not show else proc.returncode}; check the endpoint and credentials "
                        f"(.dvc/config.local or AWS_* environment variables)")
