"""Record the staged dataset on an MLflow run: a dataset input plus tags a later query can group by.

The input's digest is the DVC hash (``<md5>.dir``, 36 characters: MLflow's digest limit), so two runs
trained on the same bytes share a digest whichever machine or mirror served them.
"""

from __future__ import annotations

import json
from typing import Any

from sciml_mlflow.tracking.redact import redact_uri


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
    client.log_inputs(run_id, datasets=[DatasetInput(ds, tags)])
