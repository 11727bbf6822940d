"""A shared MLflow tracking server for a group: PostgreSQL backend, S3 artifacts, optional basic auth.

``settings`` reads where things live from the environment (secrets never touch a command line),
``auth`` prepares MLflow's basic-auth app, ``process`` starts, stops and inspects the server.
The ``sciml-mlflow server`` command (sciml_mlflow/cli/server.py) is a thin wrapper over these.
"""

from sciml_mlflow.server.process import ServerStatus, start, status, stop
from sciml_mlflow.server.settings import ServerSettings

__all__ = ["ServerSettings", "ServerStatus", "start", "status", "stop"]
