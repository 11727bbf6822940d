"""Sweeps: many runs of one command, grouped under a parent run (multirun) or a study (Optuna search).

- ``callback.SweepCallback`` is the Hydra callback configured in ``conf/config.yaml`` (``hydra.callbacks``):
  it opens the parent sweep run before any job, tags each job's run, and closes the parent.
- ``job.current_job()`` is what the Hydra task function asks to learn which sweep job it is.
- ``parent.close_open_sweeps()`` closes parents Hydra never reached ``on_multirun_end`` for (a job
  failure aborts Hydra's basic sweeper), so a parent is never left RUNNING.
- ``hpo.run_study()`` is the hyperparameter search (``sciml-mlflow sweep search``).
"""

from sciml_mlflow.sweep.job import SweepJob, current_job

__all__ = ["SweepJob", "current_job"]
