"""GPU collector against nvidia-ml-py's interface, faked only at that boundary (pynvml functions)."""

import pytest

pynvml = pytest.importorskip("pynvml", reason="nvidia-ml-py is a core dependency; missing means a broken env")

from sciml_mlflow.telemetry.collector import CollectorUnavailable  # noqa: E402
from sciml_mlflow.telemetry.collectors.gpu import GPUCollector  # noqa: E402


class FakeNVML:
    """Four GPUs; GPU 2 has no energy counter (pre-Volta)."""

    def __init__(self, monkeypatch, energy_supported=(True, True, False, True)):
        self.energy_mj = [1_000_000, 2_000_000, 0, 4_000_000]
        self.power_mw = [100_000, 200_000, 150_000, 400_000]
        self.supported = energy_supported
        self.calls = []
        m = monkeypatch
        m.setattr(pynvml, "nvmlInit", lambda: None)
        m.setattr(pynvml, "nvmlShutdown", lambda: None)
        m.setattr(pynvml, "nvmlDeviceGetCount", lambda: 4)
        m.setattr(pynvml, "nvmlDeviceGetHandleByIndex", lambda i: i)
        m.setattr(pynvml, "nvmlDeviceGetHandleByUUID", self._by_uuid)
        m.setattr(pynvml, "nvmlDeviceGetUtilizationRates", lambda h: type("U", (), {"gpu": 10 * (h + 1), "memory": 0})())
        m.setattr(pynvml, "nvmlDeviceGetMemoryInfo", lambda h: type("M", (), {"used": 2**30, "total": 4 * 2**30})())
        m.setattr(pynvml, "nvmlDeviceGetPowerUsage", lambda h: self.power_mw[h])
        m.setattr(pynvml, "nvmlDeviceGetEnforcedPowerLimit", lambda h: 400_000)
        m.setattr(pynvml, "nvmlDeviceGetTotalEnergyConsumption", self._energy)

    def _by_uuid(self, uuid):
        if uuid == "GPU-cafe":
            return 3
        raise pynvml.NVMLError(pynvml.NVML_ERROR_NOT_FOUND)

    def _energy(self, h):
        if not self.supported[h]:
            raise pynvml.NVMLError(pynvml.NVML_ERROR_NOT_SUPPORTED)
        return self.energy_mj[h]


def test_honours_cuda_visible_devices_and_uses_energy_counter(monkeypatch):
    nvml = FakeNVML(monkeypatch)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "1,GPU-cafe")
    c = GPUCollector()
    c.start()
    nvml.energy_mj[1] += 5_500  # +5.5 J on physical GPU 1 (= cuda:0)
    nvml.energy_mj[3] += 1_000
    s = c.sample()
    assert s["gpu_0_energy_joules"] == pytest.approx(5.5)
    assert s["gpu_1_energy_joules"] == pytest.approx(1.0)
    assert s["gpu_0_power_usage_watts"] == pytest.approx(200.0)
    assert s["gpu_0_power_usage_percentage"] == pytest.approx(50.0)
    assert s["gpu_0_utilization_percentage"] == 20.0
    assert s["gpu_0_memory_usage_percentage"] == pytest.approx(25.0)
    assert not any(k.startswith("gpu_2") for k in s), "only the two visible GPUs are logged"
    assert c.tags() == {"telemetry.gpu_energy_method": "nvml_total_energy"}


def test_integrates_power_without_energy_counter_and_says_so(monkeypatch):
    nvml = FakeNVML(monkeypatch)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "2")
    clock = iter([100.0, 102.0])
    monkeypatch.setattr("sciml_mlflow.telemetry.collectors.gpu.time.monotonic", lambda: next(clock))
    c = GPUCollector()
    c.start()
    assert c.sample()["gpu_0_energy_joules"] == 0.0  # first point of the trace
    nvml.power_mw[2] = 250_000
    assert c.sample()["gpu_0_energy_joules"] == pytest.approx(0.5 * (150 + 250) * 2.0)
    assert c.tags() == {"telemetry.gpu_energy_method": "integrated_power"}


def test_invalid_entry_cuts_the_visible_list_like_cuda(monkeypatch):
    FakeNVML(monkeypatch)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,7,1")
    c = GPUCollector()
    c.start()
    assert {k.split("_")[1] for k in c.sample()} == {"0"}


def test_local_rank_watches_only_its_device(monkeypatch):
    FakeNVML(monkeypatch)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    c = GPUCollector(local_index=2)
    c.start()
    s = c.sample()
    assert {k.split("_")[1] for k in s} == {"2"}
    assert s["gpu_2_power_usage_watts"] == pytest.approx(150.0)


def test_no_driver_is_unavailable_not_a_crash(monkeypatch):
    def fail():
        raise pynvml.NVMLError(pynvml.NVML_ERROR_LIBRARY_NOT_FOUND)

    monkeypatch.setattr(pynvml, "nvmlInit", fail)
    with pytest.raises(CollectorUnavailable, match="NVML could not start"):
        GPUCollector().start()


def test_empty_visible_list_is_unavailable(monkeypatch):
    FakeNVML(monkeypatch)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    with pytest.raises(CollectorUnavailable, match="no GPU visible"):
        GPUCollector().start()


def test_nvml_energy_is_split_per_phase_by_the_session(monkeypatch):
    """The CUDA energy path end to end on a CPU machine: NVML faked at its boundary, real session and phases."""
    from sciml_mlflow.core.context import HardwareProfile
    from sciml_mlflow.hardware.check import HardwareCheck
    from sciml_mlflow.hardware.detect import MachineInfo
    from sciml_mlflow.telemetry import TelemetrySession, TelemetrySettings
    from tests.metric_sink import RecordingSink

    class Client:
        def log_batch(self, *a, **k):
            pass

        def log_artifacts(self, *a, **k):
            pass

    class Metrics(RecordingSink):
        def latest(self, name):
            return self.last(name) if name in self.metrics else None

    nvml = FakeNVML(monkeypatch)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")
    profile = HardwareProfile("h200", "cuda", 1, 1, "bf16", {"bf16": 9.9e14}, 700.0, 0, detected="h200")
    check = HardwareCheck(profile, MachineInfo("h", "cpu", 2, 4, 8.0), None)
    metrics = Metrics()
    with TelemetrySession(TelemetrySettings(True, 600.0, ("gpu",), True), Client(), "r", metrics, check) as s:
        with s.phases.phase("training"):
            nvml.energy_mj[0] += 12_000  # 12 J during training
        with s.phases.phase("evaluation"):
            nvml.energy_mj[0] += 3_000
    assert metrics.last("system/energy_training_joules") == pytest.approx(12.0)
    assert metrics.last("system/energy_evaluation_joules") == pytest.approx(3.0)
    assert metrics.last("energy_to_solution_joules") == pytest.approx(15.0)
