"""Hydra finds launchers only inside the ``hydra_plugins`` namespace, by the module that defines them: this
defines sciml_mlflow's warm-pool launcher there (``hydra/launcher=warm``; the code is sciml_mlflow/sweep/pool.py)."""

from sciml_mlflow.sweep import pool


class WarmPoolLauncher(pool.WarmPoolLauncher):
    """``hydra/launcher=warm``: see sciml_mlflow.sweep.pool."""


__all__ = ["WarmPoolLauncher"]
