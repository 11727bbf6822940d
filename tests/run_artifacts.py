"""Every artifact path of a run, recursively: what the tests assert a run left in the store."""

from __future__ import annotations

from typing import Any, List


def artifact_paths(client: Any, run_id: str, path: str = "") -> List[str]:
    """Paths of all files under ``path`` in ``run_id``'s artifact tree (MlflowClient.list_artifacts, walked)."""
    out: List[str] = []
    for item in client.list_artifacts(run_id, path):
        out += artifact_paths(client, run_id, item.path) if item.is_dir else [item.path]
    return out
