"""One run's telemetry, from data staging to the last metric: the context manager the runner enters.

On entry it records the hardware identity, starts the collectors and the sampler, and watches the
target metric; on exit (also when the benchmark failed) it takes the final sample and logs the run's
totals: ``time_to_solution_s``, ``system/time_unattributed_s``, energy, achieved FLOP/s.  Nothing in ``__exit__``
raises: telemetry must never turn a finished run into a failed one.
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Mapping, Optional, Protocol, Sequence, Tuple

from sciml_mlflow.core.context import Target
from sciml_mlflow.hardware.check import HardwareCheck
from sciml_mlflow.telemetry import collector as collectors_mod
from sciml_mlflow.telemetry.control import SamplingControl
from sciml_mlflow.telemetry.phases import PhaseTimer
from sciml_mlflow.telemetry.rank import ProcessIdentity, process_identity
from sciml_mlflow.telemetry.sampler import Sampler
from sciml_mlflow.telemetry.sink import SystemMetricWriter
from sciml_mlflow.telemetry.target import TargetWatcher
from sciml_mlflow.tracking import metric_keys

log = logging.getLogger(__name__)

NOT_MEASURED = "not measured"


@dataclass(frozen=True)
class TelemetrySettings:
    """``hardware.telemetry`` of the composed config (see config.schema.TelemetryConfig)."""

    enabled: bool = True
    interval_s: float = 5.0
    collectors: Tuple[str, ...] = ("cpu", "memory", "disk", "network", "gpu", "rapl")
    autostart: bool = True

    @classmethod
    def from_config(cls, tcfg: Any) -> "TelemetrySettings":
        return cls(bool(tcfg.enabled), float(tcfg.interval_s), tuple(tcfg.collectors), bool(tcfg.autostart))


class RunMetrics(Protocol):
    """What the session needs of the run's metric logger (tracking.metric_buffer.MetricLogger)."""

    def log(self, name: str, value: float, step: int = 0) -> None: ...

    def log_dict(self, metrics: Mapping[str, float], step: int = 0) -> None: ...

    def latest(self, name: str) -> Optional[float]: ...

    def add_listener(self, name: str, fn: Callable[[str, float, int], None]) -> None: ...

    def remove_listener(self, name: str, fn: Callable[[str, float, int], None]) -> None: ...

    def flush(self) -> None: ...


class TrackingClient(Protocol):
    """What the session writes through (an MlflowClient): tags in batches and the hardware artifacts."""

    def log_batch(self, run_id: str, metrics: Any = (), params: Any = (), tags: Any = (),
                  synchronous: bool = True) -> None: ...

    def log_artifacts(self, run_id: str, local_dir: str, artifact_path: Optional[str] = None) -> None: ...

    def get_metric_history(self, run_id: str, key: str) -> Any: ...


class TelemetrySession(contextlib.AbstractContextManager):
    """Owns the sampler, the phase timer and the target watcher of one run."""

    def __init__(self, settings: TelemetrySettings, client: TrackingClient, run_id: str, metrics: RunMetrics,
                 hardware: HardwareCheck, target: Optional[Target] = None,
                 collector_options: Optional[Mapping[str, Mapping[str, object]]] = None,
                 identity: Optional[ProcessIdentity] = None) -> None:
        self.settings = settings
        self._client, self._run_id, self._metrics = client, run_id, metrics
        self.hardware, self.target = hardware, target
        self._options: Dict[str, Dict[str, object]] = {k: dict(v) for k, v in (collector_options or {}).items()}
        self.identity = identity or process_identity()
        self.sampler: Optional[Sampler] = None
        self.phases = PhaseTimer(metrics, self._energy)
        self.control = SamplingControl(None, self.phases)
        self.watcher: Optional[TargetWatcher] = None
        self._t0 = time.perf_counter()

    def _energy(self) -> Optional[float]:
        return self.sampler.energy_now() if self.sampler is not None else None

    # -- entry ---------------------------------------------------------------------------------
    def __enter__(self) -> "TelemetrySession":
        self._t0 = time.perf_counter()
        s = self.settings
        tags = {"telemetry.enabled": str(s.enabled).lower(), **self.identity.tags()}
        self._record_hardware()
        if s.enabled:
            names: Sequence[str] = s.collectors
            if self.identity.distributed and self.identity.local_rank != 0:
                names = [n for n in names if not _node_wide(n)]  # local rank 0 measures the node once
            if self.identity.distributed:
                self._options.setdefault("gpu", {}).setdefault("local_index", self.identity.local_rank)
            built = collectors_mod.build(list(names), self._options)
            self.sampler = Sampler(built, SystemMetricWriter(self._metrics, self.identity.metric_prefix), s.interval_s)
            self.control = SamplingControl(self.sampler, self.phases)
            self.sampler.start(active=s.autostart)
            tags["telemetry.interval_s"] = str(s.interval_s)
            tags["telemetry.collectors"] = ",".join(c.name for c in built) or "none"
            for c in built:
                tags.update(c.tags())
        measured = self.sampler is not None and self.sampler.energy_measured
        tags["telemetry.energy"] = "measured" if measured else NOT_MEASURED
        self._set_tags(tags)
        if self.target is not None:
            self.watcher = TargetWatcher(self.target, self._metrics, self._energy)
            self._metrics.add_listener(self.target.metric, self.watcher)
        return self

    def start_clock(self) -> None:
        """The benchmark's run_start (MLPerf): time- and energy-to-target count from here, not from staging.

        Stored as the tag ``time.run_start_ms`` (wall clock, like the store's metric timestamps), so the
        report and the MLLOG log open the same window (sciml_mlflow.telemetry.target)."""
        from sciml_mlflow.telemetry.target import RUN_START_TAG

        start_ms = int(time.time() * 1000)
        if self.watcher is not None:
            self.watcher.start_clock(start_ms)
        try:
            self._set_tags({RUN_START_TAG: str(start_ms)})
        except Exception as exc:  # the run goes on; its time to target is then "not measured"
            log.warning("could not tag run_start on run %s: %s", self._run_id, exc)

    def _record_hardware(self) -> None:
        """Fingerprint tags + hardware/fingerprint.json, and hardware/profile_check.json."""
        from sciml_mlflow.hardware import fingerprint as fpm

        try:
            fp = fpm.fingerprint(self.hardware.machine)
            self._set_tags(fpm.fingerprint_tags(fp))
            with tempfile.TemporaryDirectory() as tmp:
                (Path(tmp) / "fingerprint.json").write_text(fpm.as_json(fp))
                (Path(tmp) / "profile_check.json").write_text(fpm.as_json(fpm.mismatch_explanation(
                    self.hardware.profile, self.hardware.machine, self.hardware.reason)))
                self._client.log_artifacts(self._run_id, tmp, "hardware")
        except Exception as exc:  # identity is valuable but must not stop a run
            log.warning("could not record the hardware fingerprint on run %s: %s", self._run_id, exc)

    def _set_tags(self, tags: Mapping[str, str]) -> None:
        from mlflow.entities import RunTag

        self._client.log_batch(self._run_id, tags=[RunTag(k, str(v)[:5000]) for k, v in tags.items()],
                               synchronous=True)

    # -- exit ----------------------------------------------------------------------------------
    def __exit__(self, *exc: object) -> None:
        try:
            self._finish()
        except Exception as err:  # never mask the benchmark's own error or fail a good run
            log.error("telemetry: finishing run %s failed: %s", self._run_id, err)
        return None

    def _finish(self) -> None:
        if self.watcher is not None:
            self._metrics.remove_listener(self.watcher.target.metric, self.watcher)
        total_j = self._energy()
        if self.sampler is not None:
            self.sampler.stop()  # final sample: the last window is logged
        total_s = time.perf_counter() - self._t0
        values: Dict[str, float] = {
            "time_to_solution_s": total_s,
            metric_keys.UNATTRIBUTED_TIME: max(0.0, total_s - self.phases.top_level_s),
        }
        if total_j is not None:
            values["energy_to_solution_joules"] = total_j
            values[metric_keys.UNATTRIBUTED_ENERGY] = max(0.0, total_j - self.phases.top_level_j)
        values.update(self._flops())
        reached = "none" if self.watcher is None else str(self._log_target_figures()).lower()
        if self.sampler is not None:
            values[metric_keys.SAMPLER_CPU] = self.sampler.cpu_seconds
        self._metrics.log_dict(values)
        self._set_tags({"target.reached": reached})

    def _log_target_figures(self) -> bool:
        """time/energy to target from the rows the store holds (flushed first): the report reads the same
        rows with the same functions (telemetry.target), so both agree to the millisecond."""
        from sciml_mlflow.telemetry.target import STAGING_METRIC

        assert self.watcher is not None
        if self.watcher.reached_step is None:
            return False
        self._metrics.flush()
        prefix = getattr(self._metrics, "_prefix", "")

        def rows(key: str) -> list:
            return [(m.step, m.value, m.timestamp) for m in self._client.get_metric_history(self._run_id, prefix + key)]

        reach, values = self.watcher.figures(rows(self.watcher.target.metric), rows(STAGING_METRIC))
        if values and reach is not None:
            self._metrics.log_dict(values, step=reach.step)
        return reach is not None

    def _flops(self) -> Dict[str, float]:
        ctl = self.control
        if ctl.flops_per_sample is None:
            return {}
        if ctl.flops_samples is not None and ctl.flops_seconds:
            rate = ctl.flops_samples / ctl.flops_seconds
        else:
            rate = self._metrics.latest(ctl.flops_rate_metric or "train_throughput_samples_per_s")
            if rate is None and ctl.flops_rate_metric in (None, "train_throughput_samples_per_s"):
                seen, train_s = self._metrics.latest("samples_seen"), self.phases.durations.get("training")
                rate = seen / train_s if seen and train_s else None
        if not rate:
            log.info("telemetry: FLOPs declared but no throughput known (%s not logged): achieved FLOP/s not logged",
                     ctl.flops_rate_metric or "train_throughput_samples_per_s or samples_seen")
            return {"model_flops_per_sample": ctl.flops_per_sample}
        achieved = ctl.flops_per_sample * rate
        out = {"model_flops_per_sample": ctl.flops_per_sample, "achieved_flops_per_s": achieved}
        profile = self.hardware.profile
        peak = dict(profile.peak_flops).get(profile.precision)
        if peak:
            out["flops_utilization_percentage"] = 100.0 * achieved / (peak * max(1, profile.device_count))
        return out


def _node_wide(name: str) -> bool:
    import importlib

    try:
        return bool(importlib.import_module(f"sciml_mlflow.telemetry.collectors.{name}").COLLECTOR.node_wide)
    except (ImportError, AttributeError):
        return False
