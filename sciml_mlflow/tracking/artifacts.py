"""Uploading a run's output folders so that a failed upload leaves no half-written artifact behind.

A full artifact disk used to leave a truncated ``model.pt`` in the run, which inference would then load
as "the latest trained model".  When an upload fails, what it wrote under the run's artifact path is
removed (file stores; a remote store is asked to delete it where it can), the run is tagged
``artifacts.incomplete=<path>``, and the error is re-raised so the run ends FAILED.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from urllib.parse import unquote, urlsplit

log = logging.getLogger(__name__)


def log_artifacts_or_clean(client: object, run_id: str, local_dir: str, artifact_path: str) -> None:
    """``client.log_artifacts`` that removes its partial result and re-raises on failure."""
    try:
        client.log_artifacts(run_id, local_dir, artifact_path)  # type: ignore[attr-defined]
    except BaseException:
        _remove_partial(client, run_id, artifact_path)
        try:
            client.set_tag(run_id, "artifacts.incomplete", artifact_path)  # type: ignore[attr-defined]
        except Exception as exc:
            log.error("could not tag run %s with its incomplete artifacts: %s", run_id, exc)
        raise


def _remove_partial(client: object, run_id: str, artifact_path: str) -> None:
    try:
        uri = client.get_run(run_id).info.artifact_uri  # type: ignore[attr-defined]
    except Exception as exc:
        log.error("partial artifacts %s of run %s could not be located: %s", artifact_path, run_id, exc)
        return
    if uri.startswith("file:"):
        target = Path(unquote(urlsplit(uri).path)) / artifact_path
        shutil.rmtree(target, ignore_errors=True)
        log.error("upload of %s to run %s failed: the partial copy was removed", artifact_path, run_id)
    else:
        log.error("upload of %s to run %s (%s) failed: a partial copy may remain; the run is tagged "
                  "artifacts.incomplete", artifact_path, run_id, uri)
