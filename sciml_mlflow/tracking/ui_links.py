"""Links into MLflow's UI that open a run as a model-training run.

MLflow 3.17's UI decides what an experiment page is from its global *workflow type*, not from the
``mlflow.experimentKind`` tag: the bundled JS (``server/js/build/static/js/main.*.js``) reads the kind
from ``workflowType`` whenever its feature flag is on (it is: ``Z0:()=>R``, ``R=()=>!0``), defaults that
type to ``genai`` (kept in the browser's localStorage ``mlflow.workflowType``), and lets a
``?workflowType=machine_learning`` query parameter override it.  So a fresh browser lands on the GenAI
overview (traces, tokens) whatever the tag says; a link carrying the parameter opens the runs view.
"""

from __future__ import annotations

ML_WORKFLOW = "workflowType=machine_learning"


def run_url(base: str, experiment_id: str, run_id: str) -> str:
    """``<base>/#/experiments/<id>/runs/<run>?workflowType=machine_learning``."""
    return f"{base.rstrip('/')}/#/experiments/{experiment_id}/runs/{run_id}?{ML_WORKFLOW}"


def experiment_url(base: str, experiment_id: str) -> str:
    """The experiment's runs table in the model-training view."""
    return f"{base.rstrip('/')}/#/experiments/{experiment_id}/runs?{ML_WORKFLOW}"


__all__ = ["run_url", "experiment_url", "ML_WORKFLOW"]
