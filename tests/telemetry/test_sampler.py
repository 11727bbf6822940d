"""The sampler thread and the sink: names, totals, final sample, pause/resume, collector degradation."""

import logging
import time

import pytest

from sciml_mlflow.errors import ConfigError
from sciml_mlflow.telemetry import collector
from sciml_mlflow.telemetry.rank import process_identity
from sciml_mlflow.telemetry.sampler import Sampler
from sciml_mlflow.telemetry.sink import SystemMetricWriter


class Recorder:
    """Stands in for the MetricLogger (its log_dict is all the sink uses)."""

    def __init__(self):
        self.rows = []

    def log_dict(self, metrics, step=0):
        self.rows.extend((k, v, step) for k, v in metrics.items())

    def names(self):
        return {k for k, _, _ in self.rows}


class FakeEnergy:
    name, node_wide, measures_energy = "fake", True, True

    def __init__(self, joules_per_read=1.0):
        self.j, self.step = 0.0, joules_per_read

    def start(self):
        pass

    def sample(self):
        self.j += self.step
        return {"thing_0_energy_joules": self.j, "thing_0_power_watts": 7.0}

    def tags(self):
        return {}

    def close(self):
        pass


class FakeLoad(FakeEnergy):
    name, measures_energy = "load", False

    def sample(self):
        return {"load_utilization_percentage": 42.0}


def test_sink_names_and_total_energy_and_final_sample():
    rec = Recorder()
    s = Sampler([FakeEnergy(2.0), FakeLoad()], SystemMetricWriter(rec), interval_s=30)
    s.start()
    s.stop()  # no periodic sample within 30 s: the final one must still be there
    assert rec.names() == {"system/thing_0_energy_joules", "system/thing_0_power_watts",
                           "system/load_utilization_percentage", "system/total_energy_joules"}
    assert ("system/total_energy_joules", 2.0, 0) in rec.rows


def test_no_energy_collector_means_no_total_and_no_energy_reading():
    rec = Recorder()
    s = Sampler([FakeLoad()], SystemMetricWriter(rec), interval_s=30)
    assert s.energy_now() is None and not s.energy_measured
    s.sample_now()
    assert not any("energy" in k for k in rec.names())


def test_samples_on_a_grid_and_pause_stops_sampling():
    rec = Recorder()
    s = Sampler([FakeLoad()], SystemMetricWriter(rec), interval_s=0.05)
    s.start()
    time.sleep(0.33)
    s.pause()
    n_paused = len(rec.rows)
    assert 5 <= n_paused <= 9  # ~6 grid samples + the closing one; tolerant of a loaded CI box
    time.sleep(0.2)
    assert len(rec.rows) == n_paused, "no samples while paused"
    s.resume()
    time.sleep(0.12)
    s.stop()
    assert len(rec.rows) >= n_paused + 2
    steps = [st for _, _, st in rec.rows]
    assert steps == sorted(steps) and len(set(steps)) == len(steps)
    assert s.cpu_seconds >= 0


def test_rank_prefix_for_non_zero_ranks():
    ident = process_identity({"RANK": "3", "LOCAL_RANK": "1", "GROUP_RANK": "1", "WORLD_SIZE": "4"})
    rec = Recorder()
    SystemMetricWriter(rec, ident.metric_prefix).write({"cpu_utilization_percentage": 1.0}, step=0)
    assert rec.names() == {"system/rank_3/cpu_utilization_percentage"}
    assert ident.tags()["telemetry.node_rank"] == "1"
    assert process_identity({}).metric_prefix == "" and process_identity({}).tags() == {}


def test_unavailable_collector_costs_one_info_line(caplog):
    caplog.set_level(logging.INFO, logger="sciml_mlflow.telemetry.collector")
    built = collector.build(["rapl", "memory"], {"rapl": {"root": "/nonexistent/powercap"}})
    assert [c.name for c in built] == ["memory"]
    lines = [r for r in caplog.records if "rapl" in r.getMessage()]
    assert len(lines) == 1 and lines[0].levelno == logging.INFO


def test_unknown_collector_name_is_a_config_error():
    with pytest.raises(ConfigError, match="no collector module"):
        collector.build(["cpuu"])


def test_every_shipped_collector_meets_the_protocol():
    for name in collector.available_names():
        mod = __import__(f"sciml_mlflow.telemetry.collectors.{name}", fromlist=["COLLECTOR"])
        assert isinstance(mod.COLLECTOR(), collector.Collector), name
