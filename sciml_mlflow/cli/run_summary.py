"""The end-of-run console summary: the card's headline metrics and its target first, the rest on request.

A scientist reads the last lines of a run to learn whether it worked: the target (reached or not, and
when), then the metrics the benchmark card names as its headline, in the card's order.  Every other
science metric is one ``summary=all`` away (and always in MLflow); the framework's own measurements
(``system/...``: telemetry, phase times and energies) are never listed here.
"""

from __future__ import annotations

from typing import Any, List, Mapping, Optional, Sequence

from sciml_mlflow.tracking.metric_keys import is_system

MODES = ("headline", "all")


def _fmt(value: Optional[float]) -> str:
    return "-" if value is None else f"{value:.6g}"


def summary_lines(metrics: Mapping[str, float], headline: Sequence[str] = (), target: Any = None,
                  mode: str = "headline") -> List[str]:
    """Lines to print after a run (without the run id / UI lines the CLI adds around them).

    ``target`` has ``metric``, ``value`` and ``mode`` (max | min) or is None; ``mode`` is ``headline``
    (target + headline metrics + a count of the rest) or ``all`` (then every science metric, sorted).
    """
    if mode not in MODES:
        from sciml_mlflow.errors import ConfigError

        raise ConfigError(f"summary={mode!r}: expected one of {', '.join(MODES)}")
    lines: List[str] = []
    shown: List[str] = []
    if target is not None:
        value = metrics.get(target.metric)
        op = ">=" if target.mode == "max" else "<="
        reached = "time_to_target_s" in metrics
        when = f" after {metrics['time_to_target_s']:.3g} s" if reached else ""
        lines.append(f"  target   {target.metric} {op} {target.value:g}: "
                     f"{'REACHED' + when if reached else 'not reached'} (final {_fmt(value)})")
        shown.append(target.metric)
    for key in headline:
        if key not in shown:
            lines.append(f"  {key:40s} {_fmt(metrics.get(key))}")
            shown.append(key)
    rest = sorted(k for k in metrics if k not in shown and not is_system(k))
    if mode == "all":
        lines += [f"  {key:40s} {_fmt(metrics[key])}" for key in rest]
    elif rest:
        lines.append(f"  (+{len(rest)} more metrics: add summary=all, or open the run in MLflow)")
    return lines


__all__ = ["summary_lines", "MODES"]
