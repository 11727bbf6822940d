"""MLCommons' own tools (mlperf-logging) on our logs and submission folders, in-process.

The package resolves per-benchmark rule files (``<usage>_<ruleset>/closed_<benchmark>.yaml``) only inside
its own folder, and its package checker and result summarizer always start from the official
``common.yaml``, so for benchmarks it does not ship they crash (FileNotFoundError from
``configured_checks``) instead of checking.  ``our_rules()`` resolves exactly the names of OUR
benchmarks to conf/mlperf/<benchmark>/ -- the same thing our checker configs' BEGIN block does for the
command-line checker -- and leaves every other name to the package.
"""

from __future__ import annotations

import contextlib
import glob
import io
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional, Tuple

log = logging.getLogger(__name__)

USAGES = {"hpc": "3.0.0", "training": "6.1.0"}  # the rulesets we target (newest training one in mlperf-logging)


def rules_dir() -> Path:
    from sciml_mlflow.core.resources import config_dir

    return config_dir() / "mlperf"


def config_path(benchmark: str, usage: str, ruleset: Optional[str] = None) -> Path:
    """Our checker config of ``benchmark`` for ``usage`` (what ``--config`` takes; absolute, as the checker needs)."""
    from sciml_mlflow.errors import ConfigError

    path = rules_dir() / benchmark / f"{usage}_{ruleset or USAGES[usage]}.yaml"
    if not path.is_file():
        raise ConfigError(f"no MLPerf logging config for benchmark {benchmark!r} ({usage}) at {path}; "
                          f"add conf/mlperf/{benchmark}/ like conf/mlperf/dms_structure/")
    return path.resolve()


@contextlib.contextmanager
def our_rules() -> Iterator[None]:
    """Inside the block, the package finds our benchmarks' closed/open rule files."""
    from mlperf_logging.compliance_checker import mlp_compliance as cc

    plain = cc.__dict__.setdefault("_sciml_plain_enqueue", cc.enqueue_config)
    root = rules_dir()

    def enqueue(name: str) -> None:
        base = os.path.basename(name)
        for division in ("closed_", "open_"):
            if base.startswith(division):
                mine = root / base[len(division):-len(".yaml")] / base
                if mine.is_file():
                    return plain(str(mine.resolve()))
        return plain(name)

    before = cc.enqueue_config
    cc.enqueue_config = enqueue
    try:
        yield
    finally:
        cc.enqueue_config = before


def _quiet(fn: Callable[[], object]) -> Tuple[object, str]:
    """Run ``fn`` capturing what the package logs (it logs through the root logger) and prints."""
    buf = io.StringIO()
    handler = logging.StreamHandler(buf)
    handler.setFormatter(logging.Formatter("%(levelname)s - %(message)s"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        with contextlib.redirect_stdout(buf):
            out = fn()
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    return out, buf.getvalue()


def check_log(path: Path, benchmark: str, usage: str, ruleset: Optional[str] = None) -> Tuple[bool, str]:
    """The official compliance checker with our config on one log: (valid, its messages)."""
    from mlperf_logging.compliance_checker import mlp_compliance as cc

    ruleset = ruleset or USAGES[usage]
    config = str(config_path(benchmark, usage, ruleset))
    checker = cc.make_checker(usage, ruleset, False, True)
    valid, text = _quiet(lambda: cc.main(str(path), config, checker)[0])
    return bool(valid), text


@dataclass
class PackageCheck:
    """What the package checker's parts and the summarizer said about one submission folder."""

    ok: bool
    systems_ok: bool
    logs_ok: Dict[str, bool] = field(default_factory=dict)  # result file -> compliance
    seeds_ok: bool = False
    scores_min: Dict[Tuple[str, str], Optional[float]] = field(default_factory=dict)  # (system, benchmark) -> olympic minutes
    output: str = ""


def check_package(folder: Path, usage: str = "training", ruleset: Optional[str] = None) -> PackageCheck:
    """package_checker's checks and result_summarizer's score on an exported submission (``<org>`` folder).

    Uses the package's own functions: ``system_desc_checker.check_system_desc`` on every system JSON,
    the compliance checker (our config) on every result file, ``SeedChecker.check_seeds`` per benchmark,
    and ``result_summarizer._compute_strong_score_standalone`` (olympic average, minutes).  The package's
    top-level ``check_training_package`` skips benchmarks missing from its hard-coded list
    (benchmark_meta) with a warning, so it would pass without checking anything: not used.
    """
    from mlperf_logging.package_checker.seed_checker import SeedChecker
    from mlperf_logging.result_summarizer import result_summarizer as rs
    from mlperf_logging.system_desc_checker import system_desc_checker as sdc

    ruleset = ruleset or USAGES[usage]
    folder = Path(folder)
    out: List[str] = []
    systems_ok = True
    for js in sorted((folder / "systems").glob("*.json")):
        (valid, *_), text = _quiet(lambda js=js: sdc.check_system_desc(str(js), usage, ruleset))
        systems_ok &= bool(valid)
        out.append(text)
    result = PackageCheck(ok=False, systems_ok=systems_ok and any((folder / "systems").glob("*.json")))
    seeds_ok = True
    for bench_dir in _benchmark_dirs(folder / "results", usage):
        benchmark, system = bench_dir.name, _system_of(bench_dir, usage)
        files = sorted(glob.glob(str(bench_dir / "result_*.txt")))
        for f in files:
            valid, text = check_log(Path(f), benchmark, usage, ruleset)
            result.logs_ok[f] = valid
            out.append(text)
        ok, text = _quiet(lambda files=files: SeedChecker(ruleset).check_seeds(files))
        seeds_ok &= bool(ok)
        out.append(text)
        with our_rules():
            (score, _power, _scaling), text = _quiet(lambda b=benchmark, s=system, d=bench_dir:
                                                     rs._compute_strong_score_standalone(b, s, False, str(d), usage, ruleset))
        result.scores_min[(system, benchmark)] = score
        out.append(text)
    result.seeds_ok = seeds_ok
    result.ok = result.systems_ok and bool(result.logs_ok) and all(result.logs_ok.values()) and seeds_ok
    result.output = "".join(out)
    return result


def _benchmark_dirs(results: Path, usage: str) -> List[Path]:
    if usage == "hpc":
        return sorted(p for p in results.glob("*/*/*") if p.is_dir())
    return sorted(p for p in results.glob("*/*") if p.is_dir())


def _system_of(bench_dir: Path, usage: str) -> str:
    return bench_dir.parents[1].name if usage == "hpc" else bench_dir.parent.name


__all__ = ["USAGES", "config_path", "our_rules", "check_log", "check_package", "PackageCheck", "rules_dir"]
