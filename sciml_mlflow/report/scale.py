"""MLPerf HPC "throughput at scale" (weak scaling) of a sweep of M concurrent instances.

For each (sweep, benchmark) with at least two training runs: S = resources per instance (nodes x
max(accelerators per node, 1), as MLPerf's summarizer counts them), M = instances, T = M x S, and

    TTTa = max(run_stop) - min(run_start)

over the instances that reached the target, where run_start and run_stop are the ends of the one
time-to-target window (sciml_mlflow.telemetry.target: run_start tag, end of the reaching evaluation) --
the same instants the MLLOG log's run_start/run_stop carry, so MLPerf's own weak-scaling score of the
exported logs is the same number.  Instances that did not converge are listed, not counted.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from sciml_mlflow.tracking.runstore import RunRecord
from sciml_mlflow.telemetry import target as target_def


@dataclass
class ScaleRow:
    sweep: str
    benchmark: str
    instances: int  # M
    scale: int  # S, resources per instance
    resources: int  # T = M x S
    ttta_s: Optional[float]  # None: no instance converged
    converged: int
    not_converged: List[str] = field(default_factory=list)  # run ids
    concurrent: bool = False  # every converged instance started before the first one stopped

    @property
    def flagged(self) -> bool:
        return bool(self.not_converged)


def _int(text: Optional[str], default: int = 1) -> int:
    try:
        return int(float(text)) if text not in (None, "", "None") else default
    except ValueError:
        return default


def instance_scale(run: RunRecord) -> int:
    nodes = _int(run.params.get("hardware.nodes"))
    accel = 0 if run.params.get("hardware.accelerator") == "cpu" else _int(run.params.get("hardware.device_count"))
    return max(1, nodes) * max(accel, 1)


def window(run: RunRecord) -> Optional[Tuple[int, int]]:
    """(run_start, run_stop) ms of a converged run, else None."""
    metric, value = run.params.get("benchmark.target.metric"), run.params.get("benchmark.target.value")
    start = target_def.run_start_ms(run.tags)
    if not metric or metric == "None" or value in (None, "None") or start is None:
        return None
    reach = target_def.first_reach(run.history.get(metric, []), float(value), run.params.get("benchmark.target.mode", "max"))
    return None if reach is None else (start, reach.timestamp_ms)


def throughput_at_scale(runs: Sequence[RunRecord]) -> List[ScaleRow]:
    groups: Dict[Tuple[str, str], List[RunRecord]] = {}
    for r in runs:
        sweep = r.tags.get("sweep.id")
        if sweep:
            groups.setdefault((sweep, r.tags.get("benchmark", "-")), []).append(r)
    rows = []
    for (sweep, bench), members in sorted(groups.items()):
        if len(members) < 2:
            continue
        scales = {instance_scale(r) for r in members}
        s = max(scales)
        windows = {r.run_id: window(r) for r in members}
        ok = [w for w in windows.values() if w is not None]
        ttta = target_def.seconds_between(min(w[0] for w in ok), max(w[1] for w in ok)) if ok else None
        concurrent = bool(ok) and max(w[0] for w in ok) < min(w[1] for w in ok)
        rows.append(ScaleRow(sweep, bench, len(members), s, len(members) * s, ttta, len(ok),
                             sorted(rid for rid, w in windows.items() if w is None), concurrent))
    return rows


def markdown(rows: Sequence[ScaleRow]) -> str:
    if not rows:
        return ""
    out = ["", "## Throughput at scale (MLPerf HPC weak scaling)", "",
           "TTTa = max(run_stop) - min(run_start) over the instances that reached the target.", "",
           "| sweep | benchmark | T resources | S scale | M instances | TTTa (s) | converged | concurrent | flagged |",
           "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        ttta = "-" if r.ttta_s is None else f"{r.ttta_s:.3f}"
        flag = ", ".join(f"{rid[:8]} not converged" for rid in r.not_converged) or ""
        out.append(f"| {r.sweep} | {r.benchmark} | {r.resources} | {r.scale} | {r.instances} | {ttta} | "
                   f"{r.converged}/{r.instances} | {'yes' if r.concurrent else 'no'} | {flag} |")
    return "\n".join(out) + "\n"


def to_csv(rows: Sequence[ScaleRow]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["sweep", "benchmark", "T_resources", "S_scale", "M_instances", "ttta_s", "converged", "concurrent",
                "not_converged"])
    for r in rows:
        w.writerow([r.sweep, r.benchmark, r.resources, r.scale, r.instances, "" if r.ttta_s is None else r.ttta_s,
                    r.converged, str(r.concurrent).lower(), " ".join(r.not_converged)])
    return buf.getvalue()


__all__ = ["ScaleRow", "throughput_at_scale", "instance_scale", "window", "markdown", "to_csv"]
