"""Numbers in the YAML / JSON files a SciMLBench benchmark writes, as MLflow metrics.

SciMLBench benchmarks report by writing files (``metrics.yml``, ``training_history.yml``, ...) into
their output dir.  Every ``*.yml``/``*.yaml``/``*.json`` there (sub-folders included, the adapter's own
``sciml_bench_run_logs/`` excluded) is read after the entry point returns, or raises:

- a number at key path ``a: {b: 0.5}`` in ``metrics.yml`` -> metric ``metrics/a/b`` = 0.5 (step 0);
- a list of numbers -> one metric, a per-step history (step = list index);
- a list of mappings of numbers (per-epoch records) -> one history per key;
- booleans, strings, nulls and anything nested deeper in lists are not metrics and are skipped.

The metric name starts with the file's path relative to the output dir, suffix dropped, so two files
never collide and the source of every number is plain.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any, Iterable, Iterator, List, Tuple

import yaml

log = logging.getLogger(__name__)
SUFFIXES = (".yml", ".yaml", ".json")
MAX_BYTES = 50 * 1024 * 1024  # a result file bigger than this is data, not results: left as an artifact only
Metric = Tuple[str, float, int]  # (name, value, step)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _segment(key: Any) -> str:
    return re.sub(r"[^A-Za-z0-9_.\- ]+", "_", str(key)).strip() or "_"


def flatten(prefix: str, value: Any) -> Iterator[Metric]:
    """The metrics in one parsed document (see the module docstring for the rules)."""
    if _is_number(value):
        yield prefix, float(value), 0
    elif isinstance(value, dict):
        for key, sub in value.items():
            yield from flatten(f"{prefix}/{_segment(key)}", sub)
    elif isinstance(value, list) and value:
        if all(_is_number(v) for v in value):
            for step, v in enumerate(value):
                yield prefix, float(v), step
        elif all(isinstance(v, dict) for v in value):
            for step, record in enumerate(value):
                for key, sub in record.items():
                    if _is_number(sub):
                        yield f"{prefix}/{_segment(key)}", float(sub), step


def result_files(root: Path, exclude: Iterable[str] = ()) -> List[Path]:
    """YAML/JSON files under ``root``, sorted, skipping the top-level folders named in ``exclude``."""
    skip = set(exclude)
    found = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if rel.parts and rel.parts[0] in skip:
            continue
        if path.is_file() and path.suffix.lower() in SUFFIXES:
            found.append(path)
    return found


def read_document(path: Path) -> Any:
    """The parsed content of ``path``; raises ValueError (with the file named) when it does not parse."""
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        return json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise ValueError(f"{path}: not valid {path.suffix.lstrip('.').upper()} ({str(exc).splitlines()[0]})") from exc


def result_metrics(root: Path, exclude: Iterable[str] = ()) -> Iterator[Metric]:
    """Every metric in every result file under ``root``; a file that cannot be read is skipped with a warning
    (it stays an artifact), never an error: the benchmark's own outcome decides the run's status."""
    for path in result_files(root, exclude):
        if path.stat().st_size > MAX_BYTES:
            log.warning("%s: %d bytes, over %d: not read for metrics (kept as an artifact)", path,
                        path.stat().st_size, MAX_BYTES)
            continue
        try:
            doc = read_document(path)
        except (OSError, ValueError) as exc:
            log.warning("result file not read for metrics: %s", exc)
            continue
        prefix = "/".join(_segment(p) for p in path.relative_to(root).with_suffix("").parts)
        for name, value, step in flatten(prefix, doc):  # non-finite values are kept: they are evidence
            yield name[:250], value, step


__all__ = ["result_metrics", "result_files", "flatten", "read_document", "SUFFIXES"]
