"""The contract every system collector meets, and how configured names become collectors.

One collector per resource, one file each under ``collectors/`` (MLflow's system_metrics layout, minus its
hard-coded list): adding a resource is adding a file and naming it in ``hardware.telemetry.collectors``.
"""

from __future__ import annotations

import importlib
import logging
from typing import Dict, List, Mapping, Protocol, Sequence, runtime_checkable

from sciml_mlflow.errors import ConfigError, SciMLError

log = logging.getLogger(__name__)

ENERGY_SUFFIX = "_energy_joules"  # sample keys ending in this are cumulative joules that add up to the total


class CollectorUnavailable(SciMLError):
    """A collector cannot run on this machine (no GPU, counters unreadable); the run goes on without it."""


@runtime_checkable
class Collector(Protocol):
    """Samples one resource.

    ``sample()`` returns ``{"<resource>_<quantity>_<unit>": value}`` (no ``system/`` prefix).  Keys that end
    in ``_energy_joules`` are cumulative since ``start()`` and are summed into the run's total energy, so a
    collector must only report non-overlapping energy domains under that suffix.
    """

    name: str
    node_wide: bool  # True: measures the whole node (only local rank 0 runs it in multi-process runs)
    measures_energy: bool  # True: reports ``*_energy_joules`` (read again at phase boundaries)

    def start(self) -> None:
        """Acquire the resource; raise CollectorUnavailable when it cannot be measured here."""

    def sample(self) -> Dict[str, float]:
        """Current readings."""

    def tags(self) -> Dict[str, str]:
        """Run tags describing how this collector measured (e.g. the energy method)."""

    def close(self) -> None:
        """Release the resource."""


def build(names: Sequence[str], options: Mapping[str, Mapping[str, object]] | None = None) -> List[Collector]:
    """Instantiate and start the named collectors; each one that cannot run costs one INFO line.

    ``options`` maps a collector name to keyword arguments of its constructor (tests point RAPL at a
    fixture tree this way).
    """
    out: List[Collector] = []
    for name in names:
        try:
            module = importlib.import_module(f"sciml_mlflow.telemetry.collectors.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"sciml_mlflow.telemetry.collectors.{name}":
                raise
            raise ConfigError(
                f"hardware.telemetry.collectors names {name!r}, but there is no collector module "
                f"sciml_mlflow/telemetry/collectors/{name}.py; expected one of {', '.join(available_names())}"
            ) from None
        collector = module.COLLECTOR(**dict((options or {}).get(name, {})))
        try:
            collector.start()
        except CollectorUnavailable as exc:
            log.info("telemetry: %s collector not available on this machine (%s)", name, exc)
            continue
        out.append(collector)
    return out


def available_names() -> List[str]:
    """Collector names shipped with the package."""
    from pathlib import Path

    folder = Path(__file__).parent / "collectors"
    return sorted(p.stem for p in folder.glob("[!_]*.py"))
