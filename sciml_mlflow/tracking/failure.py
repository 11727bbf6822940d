"""What a FAILED run records about its failure: the ``error`` tag first, then the traceback.

Order matters: on a full artifact disk the traceback artifact cannot be written, yet the run must still
say why it failed.  The ``error`` tag (store, not disk) is set first; the traceback goes to the artifact
``error/traceback.txt`` and, when that fails, into the tag ``error.traceback`` (its last 7,500 characters).
The log line names where the traceback really is.  Everything is redacted.
"""

from __future__ import annotations

import logging
import tempfile
import traceback
from pathlib import Path

from sciml_mlflow.tracking.redact import redact_text

log = logging.getLogger(__name__)
_TAG_LIMIT = 7500  # MLflow 3 accepts 8,000 characters per tag value


def record_failure(client: object, run_id: str, exc: BaseException) -> None:
    """Tag ``error``, store the traceback (artifact, else tag); never raises, never masks ``exc``."""
    text = redact_text("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
    summary = redact_text(f"{type(exc).__name__}: {str(exc)[:500]}")
    try:
        client.set_tag(run_id, "error", summary)  # type: ignore[attr-defined]
    except Exception as inner:
        log.error("could not tag run %s with its error: %s", run_id, inner)
    where = "artifact error/traceback.txt"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            p = Path(tmp) / "traceback.txt"
            p.write_text(text)
            client.log_artifact(run_id, str(p), "error")  # type: ignore[attr-defined]
    except Exception as inner:
        try:
            client.set_tag(run_id, "error.traceback", text[-_TAG_LIMIT:])  # type: ignore[attr-defined]
            where = f"tag error.traceback (the artifact could not be written: {inner})"
        except Exception as inner2:
            where = f"nowhere in the run (artifact: {inner}; tag: {inner2}); it follows in this log"
            log.error("%s", text)
    log.error("benchmark raised %s (run %s ends FAILED; traceback in %s)", summary, run_id, where)
