"""The Hydra app: compose ``conf/`` and hand the config to ``sciml_mlflow.run.run_benchmark``.

Thin on purpose (lightning-hydra-template style): all work happens in importable functions.  Heavy
libraries (torch, mlflow) are imported only once a run really starts, so ``--help`` stays fast.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from pathlib import Path
from typing import Iterator, List, Optional

log = logging.getLogger("sciml_mlflow")
RESULTS: List["object"] = []  # RunResults of this process's jobs (the MLproject launcher links them)


def _with_detected_hardware(argv: List[str]) -> List[str]:
    """``argv`` in Hydra's order (options, then overrides) plus ``hardware=<detected>`` when none is named.

    The detected profile replaces ``hardware=auto`` and is added when the command line names no profile;
    options may sit anywhere among the overrides (``benchmark=x --cfg job`` works): see ``cli.argv``.
    """
    from sciml_mlflow.cli import argv as cli_argv

    options, overrides = cli_argv.split(argv)
    explicit = [a for a in overrides if a.lstrip("+~").startswith(("hardware=", "hardware@"))]
    if (explicit and "hardware=auto" not in overrides) or cli_argv.starts_no_run(options):
        return options + overrides
    from sciml_mlflow.core.resources import config_dir
    from sciml_mlflow.hardware.detect import (
        detect_machine,
        load_profile_matches,
        match_profile,
    )

    detected = match_profile(detect_machine(), load_profile_matches(config_dir() / "hardware"))
    log.debug("hardware profile detected from this machine: %s", detected)
    return options + [a for a in overrides if a != "hardware=auto"] + [f"hardware={detected}"]


def _task(cfg: "object") -> "object":
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    from sciml_mlflow import distributed
    from sciml_mlflow.run import run_benchmark
    from sciml_mlflow.errors import ConfigError, SciMLError
    from sciml_mlflow.sweep import current_job
    from sciml_mlflow.tracking.store import ui_command

    hc = HydraConfig.get()
    job = current_job()  # set by the sweep callback in multirun jobs
    tags = job.run_tags() if job is not None else None
    run = distributed.run_distributed if distributed.wanted(cfg) else run_benchmark
    try:
        from sciml_mlflow.config.schema import check_config
        from sciml_mlflow.core import registry

        registry.get(cfg.benchmark.name).entry_point(cfg.mode)  # unknown benchmark / missing mode: said first
        check_config(cfg)  # before any run exists, also on the distributed path
        result = run(cfg, Path(hc.runtime.output_dir), list(hc.overrides.task), extra_tags=tags)  # type: ignore[arg-type]
    except SciMLError as exc:
        if hc.mode == RunMode.MULTIRUN:
            if isinstance(exc, ConfigError):  # a user error: Hydra prints the message, not a traceback
                raise _compact(exc) from None
            raise  # the job fails, the sweep goes on (sys.exit here would abort the remaining jobs)
        log.error("%s", exc)
        sys.exit(2 if isinstance(exc, ConfigError) else 1)
    RESULTS.append(result)
    print(f"\nrun {result.run_id} {result.status}  (experiment {result.experiment_id})")
    from sciml_mlflow.cli.run_summary import summary_lines

    for line in summary_lines(result.metrics, list(cfg.benchmark.headline), cfg.benchmark.target,  # type: ignore[attr-defined]
                              str(cfg.summary)):  # type: ignore[attr-defined]
        print(line)
    print(f"see it: {ui_command(result.tracking_uri)}")
    from sciml_mlflow.tracking.redact import strip_uri_credentials
    from sciml_mlflow.tracking.ui_links import run_url

    remote = result.tracking_uri.startswith(("http://", "https://"))
    base = strip_uri_credentials(result.tracking_uri) if remote else "http://127.0.0.1:5000"
    print(f"  this run: {run_url(base, result.experiment_id, result.run_id)}")
    return result  # type: ignore[return-value]  # kept by Hydra as the job's return value (sweep summary)


def _compact(exc: BaseException) -> BaseException:
    """``exc`` as a CompactHydraException too (same class name, same message): Hydra then prints only the message."""
    from hydra.errors import CompactHydraException

    cls = type(type(exc).__name__, (type(exc), CompactHydraException), {})
    return cls(str(exc))


@contextlib.contextmanager
def _composed_once(overrides: List[str]) -> Iterator[None]:
    """Hydra 1.3 composes the whole config twice per command: ``Hydra.get_mode`` composes it only to read
    ``hydra.mode`` (set by no file in conf/), then the run composes it again (~0.3 s each).  Unless the
    command line sets ``hydra.mode`` itself, the mode is what ``-m`` says, so the first composition is
    skipped: ``get_mode`` answers None, which Hydra reads as "run, or multirun under -m"."""
    from hydra._internal.hydra import Hydra

    original = Hydra.__dict__.get("get_mode")
    if original is None or any(o.lstrip("+~").startswith("hydra.mode") for o in overrides):
        yield
        return
    Hydra.get_mode = lambda self, config_name, overrides: None  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        Hydra.get_mode = original  # type: ignore[method-assign]


def console() -> None:
    """The ``sciml-mlflow-run`` console script: ``main`` without the interpreter's teardown (cli/process_exit.py)."""
    from sciml_mlflow.cli.process_exit import run_then_exit

    run_then_exit(main)


def main(argv: Optional[List[str]] = None) -> None:
    """Console entry (``python -m sciml_mlflow``, ``sciml-mlflow-run``, ``sciml-mlflow run``): run Hydra.

    ``argv`` (without the program name) replaces ``sys.argv[1:]`` when given (the ``run`` subcommand).
    """
    from sciml_mlflow.sweep import pool

    pool.start_early(sys.argv[1:] if argv is None else argv)  # a warm pool's imports overlap composition
    import hydra

    from sciml_mlflow.run.compose import collection_searchpath_override
    from sciml_mlflow.config.schema import register_schemas
    from sciml_mlflow.core.resources import config_dir
    from sciml_mlflow.sweep import parent

    from sciml_mlflow.tracking.redact import redact_console

    redact_console()  # MLflow's "View run … at http://user:PASSWORD@…" and Hydra's override lines
    register_schemas()
    from sciml_mlflow.config.resolvers import register_resolvers

    register_resolvers()  # ${sciml.groups:} in the --help template
    from sciml_mlflow.scimlbench.cards import open_bench_args, register_cardless

    register_cardless()  # SciMLBench benchmarks without a YAML card compose too
    if argv is not None:
        sys.argv = [sys.argv[0]] + list(argv)
    argv = open_bench_args(_with_detected_hardware(sys.argv[1:]))  # bench args are free-form (SciMLBench -b)
    sys.argv = [sys.argv[0]] + argv + collection_searchpath_override(argv)
    app = hydra.main(version_base="1.3", config_path=str(config_dir()), config_name="config")(_task)

    from sciml_mlflow.core import signals
    from sciml_mlflow.errors import RunTerminated

    failed, killed, code = True, False, 0
    try:
        with signals.terminating(), _composed_once(argv):  # SIGTERM/SIGUSR1/SIGINT -> RunTerminated: runs end KILLED
            app()
        failed = False
    except RunTerminated as exc:
        killed, code = True, signals.exit_code(exc)
    except KeyboardInterrupt:
        killed = True
        raise
    finally:
        # Hydra skips on_multirun_end when a job failed: close any parent sweep run it left open.
        parent.close_open_sweeps(failed=failed, killed=killed)
        for table in parent.pop_summaries():
            print("\n" + table)
    if code:
        log.error("stopped by %s: exit code %d", signals.taken().reason if signals.taken() else "a signal", code)
        sys.exit(code)
