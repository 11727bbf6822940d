"""Command-line entry points: the Hydra app (python -m sciml_mlflow) and the sciml-mlflow tool."""
