"""Trained models as MLflow models, and finding the one an inference run uses.

A trained network is logged with ``mlflow.pytorch.log_model`` (signature and input example included), so
it appears in MLflow's Models column and loads with ``mlflow.pytorch.load_model``.  Runs from before that
change hold raw files under the ``model/`` artifact folder; ``ModelSource.download`` still copies those,
and ``load_pytorch`` answers None for them so the benchmark falls back to its own loader.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Optional, Tuple

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


MODEL_NAME = "model"  # the logged model's name within its run (runs:/<id>/model)
LOADED_WITH_TAG = "model.loaded_with"  # inference runs: "mlflow.pytorch" or "raw files"


# MLflow helpers that re-check, during log_model, what this module has established already (see below).
_RECHECKS = (
    ("mlflow.models.utils", "_validate_serving_input"),
    ("mlflow.utils.environment", "warn_dependency_requirement_mismatches"),
)


@contextlib.contextmanager
def _rechecks_skipped() -> Iterator[None]:
    """MLflow's log_model without two re-checks this module makes redundant (what they cost, why it is safe).

    * **Serving re-check of the input example.**  ``Model.log`` writes the example as JSON, then loads the
      saved model through pyfunc, parses the JSON back into the schema and predicts on it.  For one
      dms_structure pattern (487x195x3 values) that measured ~1.9 s of the 3.1 s the whole log_model took.
      The documented switch, ``validate_serving_input=False``, cannot be used with ``mlflow.pytorch``: its
      ``save_model`` hands every extra keyword to ``torch.save``, which refuses it (TypeError).  What the
      check would establish is checked here already: the module ran on this very example to infer the
      signature, and the contract test loads the logged model and runs it on the stored example.
    * **Requirement mismatch warning.**  ``_process_pip_requirements`` maps every installed module to its
      distribution to warn when the model's requirements differ from this environment: ~0.4 s per run
      (session 20, sampled).  The requirements handed over below are read from this very interpreter
      (``torch.__version__``, ``mlflow.__version__``), so it cannot find a mismatch.  MLflow has no switch.

    Each helper is replaced by a no-op for the duration of the call only and always restored; a helper that
    another MLflow version lacks is left alone (nothing is replaced).
    """
    import importlib

    replaced = []
    for module_name, attr in _RECHECKS:
        module = importlib.import_module(module_name)
        original = getattr(module, attr, None)
        if original is None:
            continue
        setattr(module, attr, lambda *args, **kwargs: None)
        replaced.append((module, attr, original))
    try:
        yield
    finally:
        for module, attr, original in replaced:
            setattr(module, attr, original)


def log_pytorch_model(module: Any, input_example: Any, name: str = MODEL_NAME) -> Optional[str]:
    """Log ``module`` as an MLflow PyTorch model of the active run; returns its model URI (None: not logged).

    ``input_example`` is a small batch (tensor or array); the signature is inferred from it and the
    module's output on it, so the UI shows shapes and dtypes.  Logging failures never fail the run: the
    raw weights the benchmark wrote are kept as artifacts either way.
    """
    import mlflow
    import mlflow.pytorch
    import numpy as np
    from mlflow.models import infer_signature

    try:
        import torch

        example = input_example.detach().cpu() if isinstance(input_example, torch.Tensor) else \
            torch.as_tensor(np.asarray(input_example))
        module_cpu = module.to("cpu").eval()
        with torch.no_grad():
            output = module_cpu(example)
        signature = infer_signature(example.numpy(), output.detach().numpy())
        # requirements stated, not inferred: inference starts a subprocess that re-imports the model (slow).
        # pickle, not MLflow 3's default pt2: torch.export fixes the example's batch size and image size into
        # the graph (inference batches and whole images then fail) and its module refuses .eval()/.to().
        flavor_log = logging.getLogger("mlflow.pytorch")
        level = flavor_log.level
        flavor_log.setLevel(logging.ERROR)  # its warning on every pickle save says nothing new (docs/decisions.md)
        try:
            with _rechecks_skipped():  # the module ran on the example just above; requirements are ours
                info = mlflow.pytorch.log_model(module_cpu, name=name, signature=signature,
                                                input_example=example.numpy(), serialization_format="pickle",
                                                pip_requirements=[f"torch=={torch.__version__.split('+')[0]}",
                                                                  f"mlflow=={mlflow.__version__}"])
        finally:
            flavor_log.setLevel(level)
        log.info("logged the trained model as %s", info.model_uri)
        return str(info.model_uri)
    except Exception as exc:  # noqa: BLE001 - a model that cannot be logged leaves its raw files
        log.error("could not log the trained model as an MLflow model (%s: %s); its raw files stay under model/",
                  type(exc).__name__, exc)
        return None


def load_pytorch(source: "ModelSource", device: str = "cpu") -> Optional[Any]:
    """The nn.Module behind ``source`` via ``mlflow.pytorch.load_model``; None for older raw-file models."""
    import mlflow.pytorch
    from mlflow.exceptions import MlflowException

    try:
        return mlflow.pytorch.load_model(source.uri, map_location=device)
    except (MlflowException, OSError) as exc:
        log.info("%s is not an MLflow model (%s): using the raw files under model/", source.uri, exc)
        return None


class RunModels:
    """The run's MLflow model, behind ``RunContext.log_model`` / ``load_model``.

    Training: the benchmark hands over its trained module and a small input batch; the runner logs them
    once the entry point has returned (``flush``), so a benchmark that keeps using its module on a GPU is
    not moved to the CPU under its feet.  Inference: ``model_dir`` holds what ``ModelSource.download``
    fetched; when that includes an ``MLmodel`` file the module is loaded from it (no second download).
    """

    def __init__(self, model_dir: Path) -> None:
        self.model_dir = Path(model_dir)
        self._pending: Optional[Tuple[Any, Any]] = None
        self.logged_uri: Optional[str] = None
        self.loaded = False  # inference: the module came from mlflow.pytorch.load_model

    def log(self, module: Any, input_example: Any) -> None:
        self._pending = (module, input_example)

    @property
    def pending(self) -> bool:
        return self._pending is not None

    def flush(self, run_id: str) -> Optional[str]:
        """Log the handed-over module to run ``run_id`` (the active run); the model URI, or None."""
        import mlflow

        if self._pending is None:
            return None
        active = mlflow.active_run()
        if active is None or active.info.run_id != run_id:
            log.error("not logging the trained model: run %s is not the active MLflow run", run_id)
            return None
        module, example = self._pending
        self._pending = None
        self.logged_uri = log_pytorch_model(module, example)
        return self.logged_uri

    def load(self, device: str) -> Optional[Any]:
        if not (self.model_dir / "MLmodel").is_file():
            return None
        module = load_pytorch(ModelSource(str(self.model_dir), None), device)
        self.loaded = module is not None
        return module


def resolve_model(client: Any, experiment_id: str, model_uri: Optional[str]) -> ModelSource:
    """``model_uri`` may be a run id, a ``runs:/``/``models:/`` URI, or None for the latest trained model."""
    if model_uri:
        if model_uri.startswith("models:/"):
            return _registered(model_uri)
        if "://" in model_uri or model_uri.startswith("runs:/"):
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


def _registered(model_uri: str) -> ModelSource:
    """A ``models:/`` URI (a logged model id or a registry name/version) as its training run's ``model/``.

    The MLflow model alone lacks the benchmark's metadata files (sizes, normalisation) that the raw
    ``model/`` folder of the training run holds next to it, so inference reads the run's folder, which
    carries both, and records which training run it used.
    """
    import mlflow
    from mlflow.exceptions import MlflowException

    try:
        run_id = mlflow.models.get_model_info(model_uri).run_id
    except (MlflowException, OSError) as exc:
        raise ConfigError(f"model_uri={model_uri!r}: no such model in this store ({exc}); pass a logged model "
                          "(models:/m-<id>), a registered one (models:/<name>/<version>), a run id or runs:/<id>/model") from exc
    if not run_id:
        return ModelSource(model_uri, None)
    return ModelSource(f"runs:/{run_id}/{MODEL_NAME}", run_id)

