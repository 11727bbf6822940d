"""``python -m sciml_mlflow benchmark=... hardware=...``: the Hydra entry point."""

from sciml_mlflow.cli.hydra_app import main

if __name__ == "__main__":
    from sciml_mlflow.cli.process_exit import run_then_exit

    run_then_exit(main)
