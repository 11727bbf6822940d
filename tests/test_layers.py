"""The house drawn from its imports: no cycles between subpackages and no arrow running up a floor.

Floors, ground first.  A subpackage may import only from floors below its own; ``errors`` is the
foundation every floor may use.  Adding a subpackage means giving it a floor here.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path
from typing import Dict, Set

import sciml_mlflow

FLOORS = [
    {"errors"},
    {"core"},  # resources, registry, context
    {"config", "hardware", "tracking", "training", "__init__"},  # __init__: the light public API
    {"data", "telemetry", "server", "scimlbench"},
    {"rules"},  # MLLOG and compliance read the figures of merit defined in telemetry (telemetry.target)
    {"report", "run"},
    {"distributed", "sweep", "export"},
    {"cli"},
    {"__main__"},
]
FLOOR = {name: level for level, names in enumerate(FLOORS) for name in names}
ROOT = Path(sciml_mlflow.__file__).parent


def import_graph() -> Dict[str, Set[str]]:
    """Subpackage -> subpackages it imports (module level or inside functions alike)."""
    edges: Dict[str, Set[str]] = defaultdict(set)
    for f in ROOT.rglob("*.py"):
        if "_bundled" in f.parts:
            continue
        rel = f.relative_to(ROOT).parts
        src = rel[0][:-3] if len(rel) == 1 else rel[0]
        for node in ast.walk(ast.parse(f.read_text())):
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name.split(".") for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                parts = node.module.split(".")
                targets = [parts] if len(parts) > 1 else [[parts[0], a.name] for a in node.names]
            for t in targets:
                if t[0] != "sciml_mlflow" or len(t) < 2 or t[1] == src:
                    continue
                if (ROOT / t[1]).is_dir() or (ROOT / f"{t[1]}.py").is_file():
                    edges[src].add(t[1])
    return edges


def test_every_subpackage_has_a_floor():
    subpackages = {p.name for p in ROOT.iterdir() if p.is_dir() and (p / "__init__.py").exists()} | {"errors"}
    assert subpackages - {"_bundled"} <= set(FLOOR), f"give these a floor in FLOORS: {subpackages - set(FLOOR)}"


def test_no_arrow_runs_up_or_sideways():
    bad = [f"{src} (floor {FLOOR[src]}) -> {dst} (floor {FLOOR[dst]})"
           for src, dsts in import_graph().items() for dst in dsts if FLOOR[dst] >= FLOOR[src]]
    assert not bad, "imports against the floors (move the code down, or the import up): " + "; ".join(sorted(bad))


def test_no_cycles():
    graph = import_graph()
    seen: Dict[str, int] = {}

    def visit(node: str, path: list) -> None:
        if seen.get(node) == 1:
            raise AssertionError("import cycle: " + " -> ".join(path + [node]))
        if seen.get(node) == 2:
            return
        seen[node] = 1
        for nxt in sorted(graph.get(node, ())):
            visit(nxt, path + [node])
        seen[node] = 2

    for start in sorted(graph):
        visit(start, [])
