"""Finding the trained model an inference run uses."""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from sciml_mlflow.errors import ConfigError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelSource:
    """A model's artifact URI and the training run it came from."""

    uri: str
    training_run_id: Optional[str]

    def download(self, dest: Path) -> None:
        """Copy the model's files into ``dest`` (MLflow resolves runs:/, models:/ and plain artifact URIs)."""
        import mlflow

        local = Path(mlflow.artifacts.download_artifacts(artifact_uri=self.uri))
        if local.is_dir():
            for item in local.iterdir():
                target = dest / item.name
                if item.is_dir():
                    shutil.copytree(item, target, dirs_exist_ok=True)
                else:
                    shutil.copy2(item, target)
        else:
            shutil.copy2(local, dest / local.name)


def resolve_model(client: Any, experiment_id: str, model_uri: Optional[str]) -> ModelSource:
    """``model_uri`` may be a run id, a ``runs:/``/``models:/`` URI, or None for the latest trained model."""
    if model_uri:
        if "://" in model_uri or model_uri.startswith(("runs:/", "models:/")):
            run_id = model_uri.split("/")[1] if model_uri.startswith("runs:/") else None
            return ModelSource(model_uri, run_id)
        try:
            client.get_run(model_uri)
        except Exception as exc:
            raise ConfigError(f"model_uri={model_uri!r} is neither a URI nor a run id in this store ({exc}); "
                              "pass a training run id, runs:/<id>/model or models:/<name>/<version>") from exc
        return ModelSource(f"runs:/{model_uri}/model", model_uri)
    runs = client.search_runs(
        [experiment_id], filter_string="tags.mode = 'train' and attributes.status = 'FINISHED'",
        order_by=["attributes.start_time DESC"], max_results=1,
    )
    if not runs:
        raise ConfigError(f"inference needs a trained model, but experiment {experiment_id} has no FINISHED "
                          "training run; run mode=train first, or pass model_uri=<run id | runs:/... | models:/...>")
    run_id = runs[0].info.run_id
    log.info("using the model of the latest finished training run %s", run_id)
    return ModelSource(f"runs:/{run_id}/model", run_id)
