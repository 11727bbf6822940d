"""Record the staged dataset on an MLflow run: a dataset input plus tags a later query can group by.

The input's digest is the DVC hash (``<md5>.dir``, 36 characters: MLflow's digest limit), so two runs
trained on the same bytes share a digest whichever machine or mirror served them.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from sciml_mlflow.tracking.redact import redact_uri

log = logging.getLogger(__name__)

#: MLflow's store looks the dataset up, then inserts it, in one transaction without a lock: two runs of a
#: sweep that log the same dataset to one experiment at the same moment both miss it, and the second insert
#: breaks the (experiment, name, digest) unique key. A retry finds the row the winner wrote and only adds
#: its own input edge, so a bounded retry on exactly that error is the whole fix.
_DUPLICATE_MARKERS = ("UNIQUE constraint failed: datasets", "duplicate key value violates unique constraint",
                      "Duplicate entry")
_ATTEMPTS = 5


def log_dataset_input(client: Any, run_id: str, staged: Any, context: str = "train") -> None:
    """``MlflowClient.log_inputs`` with an MLflow Dataset built from the staged dataset's identity."""
    from mlflow.entities import Dataset, DatasetInput, InputTag

    source = redact_uri(str(staged.source))
    ds = Dataset(
        name=f"{staged.name}-{staged.scale}",
        digest=(staged.digest or "unknown")[:36],
        source_type="dvc",
        source=json.dumps({"uri": source, "remote": staged.tags.get("dataset.remote", ""), "path": str(staged.path)}),
        schema=None,
        profile=json.dumps({"files": getattr(staged, "files", 0), "bytes": getattr(staged, "bytes", 0)}),
    )
    tags = [InputTag("mlflow.data.context", context), InputTag("scale", staged.scale),
            InputTag("version", staged.tags.get("dataset.version", "")),
            InputTag("dvc_rev", staged.tags.get("dataset.dvc_rev", ""))]
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            client.log_inputs(run_id, datasets=[DatasetInput(ds, tags)])
            return
        except Exception as exc:  # MlflowException wraps the store's IntegrityError as text
            if attempt == _ATTEMPTS or not any(m in str(exc) for m in _DUPLICATE_MARKERS):
                raise
            log.debug("dataset %s was inserted by a concurrent run; retrying (%d)", ds.name, attempt)
            time.sleep(0.05 * attempt)
