"""A Hydra launcher whose worker processes start warm: forked from a server that imported torch and MLflow once.

Why: on a small machine a parallel sweep's jobs are dominated by the import of torch + MLflow + Hydra in
every worker (~10 s per process on 2 loaded cores), and joblib's loky workers (``hydra/launcher=parallel``)
each pay it, at the same time, fighting over the same cores.  Here the launcher starts Python's
``forkserver`` as soon as Hydra sets the launcher up, with those modules preloaded; the server imports them
once while the launching process is still opening the sweep's parent run (``start_for``, called by the
sweep callback before it opens the parent: Hydra sets the launcher up only after that), and every worker
is a fork of it (copy-on-write, no import at all).  The server is single-threaded and holds no database connection, so
forking from it is safe (unlike forking the launching process).  ``scripts/bench_sweep.py`` measures it.

    python -m sciml_mlflow -m hydra/launcher=warm seed=1,2,3,4 [hydra.launcher.n_jobs=2]
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
from concurrent.futures import ProcessPoolExecutor
from typing import Any, List, Optional, Sequence

from hydra.core.utils import JobReturn
from hydra.plugins.launcher import Launcher

log = logging.getLogger(__name__)

#: workers when neither the command line nor the config says (conf/hydra/launcher/warm.yaml says the same)
DEFAULT_N_JOBS = 2

#: what every job imports sooner or later; imported once, in the fork server
PRELOAD = ["torch", "mlflow", "mlflow.tracking", "mlflow.store.tracking.sqlalchemy_store", "mlflow.store.db.utils",
           "mlflow.tracing", "alembic", "sqlalchemy", "git", "pygments", "hydra", "omegaconf",
           "sciml_mlflow.cli.hydra_app", "sciml_mlflow.cli.run_summary", "sciml_mlflow.run.runner",
           "sciml_mlflow.sweep.callback", "sciml_mlflow.telemetry", "sciml_mlflow.telemetry.collectors",
           "sciml_mlflow.tracking.store", "sciml_mlflow.data.staging", "sqlalchemy.dialects.sqlite", "alembic.command",
           "opentelemetry.sdk.trace", "filelock", "email.policy", "sciml_mlflow.training", "sciml_mlflow.rules",
           "sciml_mlflow.distributed", "sciml_mlflow.scimlbench", "sciml_mlflow.hardware.check",
           "sciml_mlflow.run.context", "hydra._internal.hydra",
           # what a job still imported after the fork (listed from a worker's sys.modules; ~0.6 s of its first job)
           "alembic.config", "mlflow.store.tracking.sqlalchemy_workspace_store", "mlflow.tracing.export",
           "mlflow.tracing.processor.otel", "mlflow.tracing.utils.environment", "hydra._internal.logging_config",
           "hydra._internal.core_plugins.bash_completion", "hydra._internal.core_plugins.zsh_completion",
           "hydra._internal.core_plugins.fish_completion", "hydra_plugins.sciml_mlflow_launcher",
           "hydra_plugins.hydra_joblib_launcher.joblib_launcher", "hydra_plugins.hydra_submitit_launcher.submitit_launcher",
           "sciml_mlflow.data.card", "sciml_mlflow.data.record", "sciml_mlflow.hardware.fingerprint",
           "sciml_mlflow.telemetry.energy", "sciml_mlflow.tracking.metric_buffer", "sciml_mlflow.tracking.models",
           "sciml_mlflow.tracking.provenance", "sciml_mlflow.tracking.reconcile", "sciml_mlflow.tracking.run_name",
           "sciml_mlflow.tracking.artifacts", "sciml_mlflow.tracking.ui_links", "sciml_mlflow.data.progress",
           "sciml_mlflow.telemetry.collectors.cpu", "sciml_mlflow.telemetry.collectors.memory",
           "sciml_mlflow.telemetry.collectors.disk", "sciml_mlflow.telemetry.collectors.network",
           "sciml_mlflow.telemetry.collectors.rapl"]


def _threads_per_job(n_jobs: int) -> int:
    cores = os.cpu_count() or 1
    return max(1, cores // max(1, min(n_jobs, cores)))


def start_server(n_jobs: int, preload: Sequence[str] = PRELOAD) -> Any:
    """Start the fork server now (it imports ``preload`` in the background); returns its context."""
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(list(preload))
    # read by torch at import (in the server): k workers on n cores get n/k threads each (callback._share_cores)
    os.environ.setdefault("OMP_NUM_THREADS", str(_threads_per_job(n_jobs)))
    from sciml_mlflow.tracking.store import quiet_mlflow_env

    quiet_mlflow_env()  # read by MLflow at import, which happens in the server
    from multiprocessing import forkserver

    forkserver.ensure_running()
    return ctx


def start_for(config: Any) -> bool:
    """Start the fork server now when ``config``'s launcher is this one; True when it did.

    Hydra calls ``on_multirun_start`` (where the sweep's parent run opens: MLflow's import and the store's
    set-up, ~3 s) *before* it instantiates the launcher, so a server started in ``setup`` began importing
    only once that was done.  Started here, the two overlap; ``setup`` then finds it running.
    """
    launcher = config.hydra.get("launcher") or {}
    if not str(launcher.get("_target_", "")).endswith("WarmPoolLauncher"):
        return False
    preload = launcher.get("preload") or PRELOAD
    start_server(max(1, int(launcher.get("n_jobs") or DEFAULT_N_JOBS)), [str(m) for m in preload])
    log.info("warm pool: fork server started, preloading %d modules while the sweep's parent run opens", len(preload))
    return True


def start_early(argv: Sequence[str]) -> bool:
    """Start the fork server before Hydra composes when the command line asks for this launcher.

    ``argv`` are the run app's arguments: ``-m``/``--multirun`` with ``hydra/launcher=warm`` (and
    ``hydra.launcher.n_jobs=K`` when given; otherwise the launcher's default).  Composition takes ~1 s,
    which the server's imports then overlap too; a launcher chosen in a config file starts at
    ``start_for`` instead.  True when it started the server.
    """
    args = list(argv)
    if not ({"-m", "--multirun"} & set(args)) or "hydra/launcher=warm" not in args:
        return False
    n_jobs = DEFAULT_N_JOBS
    for arg in args:
        if arg.startswith("hydra.launcher.n_jobs="):
            try:
                n_jobs = max(1, int(arg.split("=", 1)[1]))
            except ValueError:
                return False  # Hydra reports the bad value; the server starts at setup if it is fixed
    start_server(n_jobs)
    log.debug("warm pool: fork server started before composition (n_jobs=%d)", n_jobs)
    return True


def _execute_pickled(payload: bytes) -> bytes:
    """A job sent as cloudpickle bytes (Hydra's state holds closures: OmegaConf resolvers), its return too."""
    import cloudpickle

    return cloudpickle.dumps(_execute_job(*cloudpickle.loads(payload)))


def _execute_job(idx: int, overrides: Sequence[str], hydra_context: Any, config: Any, task_function: Any,
                 singleton_state: Any, environ: Optional[dict] = None) -> JobReturn:
    """One job in a worker (what Hydra's joblib launcher runs per job), its return made picklable.

    ``environ`` is the launching process's environment when the job was sent: a fork server inherits the
    environment of the moment it started (before the sweep's parent run set ``SCIML_SWEEP_*``), so each
    job gets the launcher's current one, as a freshly started worker would.
    """
    if environ is not None:
        for key in [k for k in os.environ if k not in environ]:
            del os.environ[key]
        os.environ.update(environ)
    import cloudpickle
    from hydra.core.hydra_config import HydraConfig
    from hydra.core.singleton import Singleton
    from hydra.core.utils import run_job, setup_globals
    from omegaconf import open_dict

    import sys

    warm = all(m in sys.modules for m in ("torch", "mlflow"))  # before the job: forked warm, or not
    setup_globals()
    Singleton.set_state(singleton_state)
    sweep_config = hydra_context.config_loader.load_sweep_config(config, list(overrides))
    with open_dict(sweep_config):
        sweep_config.hydra.job.id = f"{sweep_config.hydra.job.name}_{idx}"
        sweep_config.hydra.job.num = idx
    HydraConfig.instance().set_config(sweep_config)
    ret = run_job(hydra_context=hydra_context, config=sweep_config, task_function=task_function,
                  job_dir_key="hydra.sweep.dir", job_subdir_key="hydra.sweep.subdir")
    log.info("warm pool: job %d ran in worker %d (forked from %d) with torch and mlflow preloaded: %s",
             idx, os.getpid(), os.getppid(), warm)
    try:
        cloudpickle.dumps(ret)
    except Exception:  # e.g. an exception class made at run time (cli.hydra_app._compact): keep its words
        value = ret._return_value
        ret._return_value = RuntimeError(f"{type(value).__name__}: {value}")
    return ret


class WarmPoolLauncher(Launcher):
    """``n_jobs`` warm worker processes (forked from a preloaded fork server) run the sweep's jobs."""

    def __init__(self, n_jobs: int = DEFAULT_N_JOBS, preload: Optional[List[str]] = None) -> None:
        self.n_jobs = max(1, int(n_jobs))
        self.preload = list(preload) if preload else list(PRELOAD)
        self.config: Any = None
        self.hydra_context: Any = None
        self.task_function: Any = None
        self._ctx: Any = None

    def setup(self, *, hydra_context: Any, task_function: Any, config: Any) -> None:
        self.config, self.hydra_context, self.task_function = config, hydra_context, task_function
        self._ctx = start_server(self.n_jobs, self.preload)  # imports overlap the parent run's setup

    def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> Sequence[JobReturn]:
        from pathlib import Path

        from hydra.core.singleton import Singleton
        from hydra.core.utils import configure_log, filter_overrides, setup_globals

        setup_globals()
        configure_log(self.config.hydra.hydra_logging, self.config.hydra.verbose)
        sweep_dir = Path(str(self.config.hydra.sweep.dir))
        sweep_dir.mkdir(parents=True, exist_ok=True)
        log.info("warm pool: %d worker(s) forked from a preloaded server, %d job(s), launcher pid %d, sweep output dir %s",
                 self.n_jobs, len(job_overrides), os.getpid(), sweep_dir)
        for i, overrides in enumerate(job_overrides):
            log.info("\t#%d : %s", initial_job_idx + i, " ".join(filter_overrides(overrides)))
        state = Singleton.get_state()
        workers = min(self.n_jobs, len(job_overrides)) or 1
        import cloudpickle

        with ProcessPoolExecutor(max_workers=workers, mp_context=self._ctx) as pool:
            environ = dict(os.environ)
            futures = [pool.submit(_execute_pickled, cloudpickle.dumps((initial_job_idx + i, list(o), self.hydra_context,
                                                                        self.config, self.task_function, state,
                                                                        environ)))
                       for i, o in enumerate(job_overrides)]
            return [cloudpickle.loads(f.result()) for f in futures]
