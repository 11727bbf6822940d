"""One SciMLBench entry-point call as one sciml_mlflow entry point: ``run_entry(fn, mode, ctx)``.

The adapter depends only on the RunContext (paths, metric sink, phases, options) and builds what the
SciMLBench function expects:

- ``params_in.dataset_dir`` = ``ctx.data_dir`` (staged and verified by the framework, or the folder given
  as ``benchmark.dataset.root``);
- ``params_in.output_dir`` = ``ctx.artifacts_dir``: every file written there becomes a run artifact
  under ``outputs/``;
- ``params_in.bench_args`` = ``ctx.bench_args`` (``benchmark.bench_args``: card defaults and
  ``benchmark.bench_args.<key>=<value>``), ``params_in.model`` = the trained model file in
  ``ctx.model_dir`` (inference).

After the call (returned or raised) open procs are closed, events written, numbers in result files
logged as metrics, and (training) the model files copied into ``ctx.model_dir``, which the framework
logs as the run's ``model`` artifact, the one a later ``mode=inference`` run downloads.
"""

from __future__ import annotations

import fnmatch
import logging
import os
import shutil
from pathlib import Path
from typing import Any, Callable, Iterable, List, Mapping, Optional, Sequence

from sciml_mlflow.scimlbench.journal import LOG_DIR, Journal
from sciml_mlflow.scimlbench.params_in import EXECUTION_MODES, ParamsIn, bench_args_from
from sciml_mlflow.scimlbench.params_out import ParamsOut
from sciml_mlflow.scimlbench.results import SUFFIXES, result_metrics
from sciml_mlflow.tracking.redact import redact_mapping

log = logging.getLogger(__name__)
MODEL_FILES_KEY = "model_files"  # ctx.options key: glob(s) naming the model files a training run writes
DEFAULT_MODEL_FILES = ("*model*",)  # SciMLBench benchmarks save <name>_model.h5 / .pt / ...
_NOT_MODELS = SUFFIXES + (".txt", ".log", ".csv", ".md", ".png", ".jpg", ".svg")
_OWN_DIRS = (LOG_DIR, "sciml_bench_run_sys")  # written by the adapter (or SciMLBench's monitor): not results


def _patterns(options: Mapping[str, Any]) -> Sequence[str]:
    value = options.get(MODEL_FILES_KEY)
    if value is None:
        return DEFAULT_MODEL_FILES
    return [value] if isinstance(value, str) else [str(v) for v in value]


def model_files(root: Path, patterns: Iterable[str]) -> List[Path]:
    """Files under ``root`` whose name matches a pattern (logs, result files and images never count)."""
    pats = list(patterns)
    found = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if not path.is_file() or (rel.parts and rel.parts[0] in _OWN_DIRS):
            continue
        if path.suffix.lower() in _NOT_MODELS:
            continue
        if any(fnmatch.fnmatch(path.name.lower(), p.lower()) or fnmatch.fnmatch(str(rel), p) for p in pats):
            found.append(path)
    return found


def trained_model(model_dir: Path, patterns: Iterable[str]) -> Optional[Path]:
    """``params_in.model`` for inference: the one file in ``model_dir``, else the one matching the model
    patterns, else the folder itself (a benchmark that loads a directory); None when it is empty."""
    if not model_dir.is_dir() or not any(model_dir.iterdir()):
        return None
    files = [p for p in sorted(model_dir.rglob("*")) if p.is_file()]
    if len(files) == 1:
        return files[0]
    matching = model_files(model_dir, patterns)
    return matching[0] if len(matching) == 1 else model_dir


def _place(src: Path, dest: Path) -> None:
    """Hard-link (no second copy on disk) or copy ``src`` to ``dest``."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dest)
    except OSError:
        shutil.copy2(src, dest)


def run_entry(fn: Callable[[Any, Any], object], mode: str, ctx: Any) -> None:
    """Call SciMLBench entry ``fn`` for ``mode`` with params built from ``ctx``; see the module docstring."""
    options: Mapping[str, Any] = dict(ctx.options or {})
    out = Path(ctx.artifacts_dir)
    journal = Journal(out / LOG_DIR, ctx.phase, ctx.metrics)
    patterns = _patterns(options)
    params_in = ParamsIn(
        dataset_dir=Path(ctx.data_dir), output_dir=out, bench_args=bench_args_from(ctx.bench_args),
        execution_mode=EXECUTION_MODES[mode],
        model=trained_model(Path(ctx.model_dir), patterns) if mode == "inference" else None,
    )
    params_out = ParamsOut(journal)
    log.info("SciMLBench %s(%s): dataset_dir=%s output_dir=%s bench_args=%s", getattr(fn, "__name__", fn),
             params_in.execution_mode, params_in.dataset_dir, out, redact_mapping(dict(params_in.bench_args)))
    try:
        fn(params_in, params_out)
    finally:
        _finish(journal, params_out, out, ctx, mode, patterns)


def _finish(journal: Journal, params_out: ParamsOut, out: Path, ctx: Any, mode: str, patterns: Sequence[str]) -> None:
    """Everything after the call; each step guarded so that none hides the benchmark's own error."""
    steps = [("closing procs and logs", lambda: (params_out.log.close_open(), journal.close())),
             ("logging result-file metrics", lambda: _log_results(out, ctx.metrics))]
    if mode == "train":
        steps.append(("keeping the model files", lambda: _keep_model(out, Path(ctx.model_dir), patterns)))
    for what, step in steps:
        try:
            step()
        except Exception as exc:  # noqa: BLE001 - reported; the entry point's outcome decides the run
            log.error("SciMLBench adapter: %s failed: %s", what, exc)


def _log_results(out: Path, metrics: Any) -> None:
    count = 0
    for name, value, step in result_metrics(out, exclude=_OWN_DIRS):
        metrics.log(name, value, step=step)
        count += 1
    log.info("SciMLBench result files under %s: %d metric values logged", out, count)


def _keep_model(out: Path, model_dir: Path, patterns: Sequence[str]) -> None:
    files = model_files(out, patterns)
    for src in files:
        _place(src, model_dir / src.relative_to(out))
    if files:
        log.info("model files kept as the run's model artifact: %s", ", ".join(str(f.relative_to(out)) for f in files))
    else:
        log.warning("no model file (pattern %s) in %s: an inference run will find no model from this run; "
                    "name the files with benchmark.options.%s=<glob>", ", ".join(patterns), out, MODEL_FILES_KEY)


__all__ = ["run_entry", "model_files", "trained_model", "MODEL_FILES_KEY"]
