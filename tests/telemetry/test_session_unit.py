"""TelemetrySession without a store: telemetry off, multi-process collector selection, FLOPs fallback."""

from types import SimpleNamespace

import pytest

from sciml_mlflow.core.context import HardwareProfile
from sciml_mlflow.hardware.check import HardwareCheck
from sciml_mlflow.hardware.detect import MachineInfo
from sciml_mlflow.telemetry import START_RUN_KWARGS, TelemetrySession, TelemetrySettings
from sciml_mlflow.telemetry.rank import ProcessIdentity


class FakeClient:
    def __init__(self):
        self.tags, self.artifacts = {}, []

    def log_batch(self, run_id, metrics=(), params=(), tags=(), synchronous=True):
        self.tags.update({t.key: t.value for t in tags})

    def log_artifacts(self, run_id, local_dir, artifact_path=None):
        self.artifacts.append(artifact_path)


class Metrics:
    def __init__(self):
        self.values = {}

    def log_dict(self, metrics, step=0):
        self.values.update(metrics)

    def log(self, name, value, step=0):
        self.values[name] = value

    def latest(self, name):
        return self.values.get(name)

    def add_listener(self, name, fn):
        raise AssertionError("no target: nothing to listen to")

    remove_listener = add_listener


def _settings(enabled=True, collectors=("cpu", "memory", "disk", "network", "gpu", "rapl")):
    return TelemetrySettings(enabled=enabled, interval_s=30.0, collectors=tuple(collectors), autostart=True)


PROFILE = HardwareProfile("cpu", "cpu", 1, 1, "fp32", {}, None, 0, detected="cpu")
MACHINE = MachineInfo("h", "Some CPU", 2, 4, 8.0)
CHECK = HardwareCheck(PROFILE, MACHINE, None)
PHASE_KEYS = ("system/time_", "system/energy_", "system/telemetry_")  # the session's own keys, not samples


def test_start_run_kwargs_switches_mlflow_monitor_off():
    assert START_RUN_KWARGS == {"log_system_metrics": False}


def test_settings_come_from_the_composed_telemetry_config():
    tcfg = SimpleNamespace(enabled=False, interval_s=2, collectors=["cpu"], autostart=False)
    assert TelemetrySettings.from_config(tcfg) == TelemetrySettings(False, 2.0, ("cpu",), False)


def test_disabled_session_samples_nothing_but_records_identity_and_time():
    client, metrics = FakeClient(), Metrics()
    with TelemetrySession(_settings(enabled=False), client, "r", metrics, CHECK) as s:
        with s.phases.phase("training"):
            pass
        s.control.pause()  # no-op, never an error
    assert s.sampler is None and client.tags["telemetry.enabled"] == "false"
    assert client.tags["telemetry.energy"] == "not measured" and client.tags["hw.cpu_model"] == "Some CPU"
    assert "hardware" in client.artifacts
    sampled = [k for k in metrics.values if k.startswith("system/") and not k.startswith(PHASE_KEYS)]
    assert not sampled, sampled
    assert metrics.values["time_to_solution_s"] >= metrics.values["system/time_training_s"]


def test_non_zero_local_rank_skips_node_wide_collectors_and_prefixes_names():
    client, metrics = FakeClient(), Metrics()
    ident = ProcessIdentity(rank=5, local_rank=1, node_rank=1, world_size=8, host="n1")
    with TelemetrySession(_settings(), client, "r", metrics, CHECK, identity=ident):
        pass
    assert client.tags["telemetry.collectors"] == "memory"  # cpu/disk/network/rapl: local rank 0's job
    assert client.tags["telemetry.rank"] == "5" and client.tags["telemetry.node_rank"] == "1"
    system = [k for k in metrics.values if k.startswith("system/") and not k.startswith(PHASE_KEYS)]
    assert system and all(k.startswith("system/rank_5/") for k in system)


def test_flops_from_logged_throughput_without_peak_gives_no_utilisation():
    client, metrics = FakeClient(), Metrics()
    with TelemetrySession(_settings(enabled=False), client, "r", metrics, CHECK) as s:
        metrics.log("train_throughput_samples_per_s", 50.0)
        s.control.record_flops(per_sample=2e9)
    assert metrics.values["achieved_flops_per_s"] == pytest.approx(1e11)
    assert "flops_utilization_percentage" not in metrics.values
    with pytest.raises(ValueError, match="must be > 0"):
        s.control.record_flops(0)


def test_count_flops_of_a_linear_layer():
    torch = pytest.importorskip("torch", reason="torch is a core dependency of the benchmarks")
    from sciml_mlflow.telemetry.flops import count_flops

    net = torch.nn.Linear(10, 4)
    x = torch.randn(8, 10)
    assert count_flops(net, x, backward=False) == 2 * 8 * 10 * 4
    assert count_flops(net, x) > 2 * 8 * 10 * 4  # backward adds the gradient matmuls
    assert net.weight.grad is None, "counting leaves no gradients behind"
