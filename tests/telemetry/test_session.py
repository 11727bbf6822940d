"""Telemetry of whole runs through the real runner, with throw-away benchmarks in a temp collection."""

import json
from pathlib import Path

import pytest

from sciml_mlflow.run import run_benchmark
from tests.machine import cpu_only

FAST = ["hardware.telemetry.interval_s=0.2"]

TARGET_CODE = """
import time

def train(ctx):
    with ctx.phase("data_loading"):
        time.sleep(0.05)
    with ctx.phase("training"):
        t0 = time.perf_counter()
        for epoch, acc in enumerate([0.5, 0.8, 0.95, 0.97], start=1):
            time.sleep(0.15)
            if "rapl_file" in ctx.options:  # the fixture RAPL counter: +2 J per epoch
                f = ctx.options["rapl_file"]
                with open(f) as fh:
                    uj = int(fh.read())
                with open(f, "w") as fh:
                    fh.write(str(uj + 2_000_000))
            ctx.metrics.log_dict({"val_accuracy": acc, "samples_seen": 100 * epoch,
                                  "epoch_elapsed_s": time.perf_counter() - t0}, step=epoch)
    with ctx.phase("evaluation"):
        time.sleep(0.05)
"""
TARGET_CARD = "target: {metric: val_accuracy, value: 0.9, mode: max}\n"


def _run(compose_cfg, tmp_path, *overrides):
    return run_benchmark(compose_cfg(*overrides, *FAST), tmp_path / "out")


@cpu_only
def test_time_to_target_phases_and_not_measured_energy(make_benchmark, compose_cfg, mlflow_client, tmp_path):
    make_benchmark("tele_target", TARGET_CODE, TARGET_CARD)
    res = _run(compose_cfg, tmp_path, "benchmark=tele_target")
    run = mlflow_client.get_run(res.run_id)
    m, tags = run.data.metrics, run.data.tags

    hist = mlflow_client.get_metric_history(res.run_id, "time_to_target_s")
    assert [h.step for h in hist] == [3], "recorded once, at the first epoch reaching 0.9"
    assert 0.45 <= hist[0].value <= m["time_to_solution_s"]
    assert tags["target.reached"] == "true"

    # phases add up: top-level phases + unattributed == time to solution
    phases = ["data_staging", "data_loading", "training", "evaluation", "writing_outputs"]
    split = sum(m[f"system/time_{p}_s"] for p in phases) + m["system/time_unattributed_s"]
    assert split == pytest.approx(m["time_to_solution_s"], rel=0.02, abs=0.02)
    assert m["system/time_training_s"] >= 0.6 and m["system/time_unattributed_s"] < m["time_to_solution_s"] / 2

    # no GPU and no readable RAPL here: said in a tag, never zeros pretending to be measurements
    assert tags["telemetry.energy"] == "not measured"
    assert not [k for k in m if "energy" in k]
    assert tags["telemetry.enabled"] == "true" and tags["telemetry.interval_s"] == "0.2"

    # our sampler replaced MLflow's: system/ names, several samples, the final one at run end
    cpu = mlflow_client.get_metric_history(res.run_id, "system/cpu_utilization_percentage")
    assert len(cpu) >= 2 and "system/system_memory_usage_megabytes" in m
    assert max(h.timestamp for h in cpu) >= run.info.end_time - 3000
    assert tags["hw.gpu_count"] == "0" and tags["hw.cpu_cores"].isdigit()
    assert {a.path for a in mlflow_client.list_artifacts(res.run_id, "hardware")} == {
        "hardware/fingerprint.json", "hardware/profile_check.json"}


FAIL_CODE = """
def train(ctx):
    with ctx.phase("training"):
        for step in range(50):
            ctx.metrics.log("train_loss", 1.0 / (step + 1), step=step)
        raise RuntimeError("diverged at step 50")
"""


def test_failing_run_still_flushes_metrics_and_ends_failed(make_benchmark, compose_cfg, mlflow_client, tmp_path):
    make_benchmark("tele_fail", FAIL_CODE)
    with pytest.raises(RuntimeError, match="diverged"):
        _run(compose_cfg, tmp_path, "benchmark=tele_fail")
    run = mlflow_client.search_runs([mlflow_client.get_experiment_by_name("tele_fail").experiment_id])[0]
    assert run.info.status == "FAILED"
    assert len(mlflow_client.get_metric_history(run.info.run_id, "train_loss")) == 50
    for key in ("system/time_training_s", "time_to_solution_s", "system/cpu_utilization_percentage"):
        assert key in run.data.metrics, key


MONITOR_CODE = """
import time

def train(ctx):
    time.sleep(0.4)                        # not monitored: autostart is off
    with ctx.monitor("solver"):
        for epoch, acc in enumerate([0.5, 0.8, 0.95, 0.97], start=1):
            time.sleep(0.15)
            f = ctx.options["rapl_file"]   # the fixture RAPL counter: +2 J per epoch
            with open(f) as fh:
                uj = int(fh.read())
            with open(f, "w") as fh:
                fh.write(str(uj + 2_000_000))
            ctx.metrics.log("val_accuracy", acc, step=epoch)
    ctx.telemetry.record_flops(per_sample=1e6, samples=1000, seconds=2.0)
"""


@cpu_only
def test_rapl_energy_monitor_region_flops_and_mismatch(make_benchmark, compose_cfg, mlflow_client, tmp_path,
                                                       monkeypatch):
    zone = tmp_path / "powercap" / "intel-rapl:0"
    zone.mkdir(parents=True)
    (zone / "name").write_text("package-0\n")
    (zone / "energy_uj").write_text("1000000")
    (zone / "max_energy_range_uj").write_text("262143328850")
    monkeypatch.setattr("sciml_mlflow.telemetry.collectors.rapl.DEFAULT_ROOT", str(tmp_path / "powercap"))
    make_benchmark("tele_monitor", MONITOR_CODE, TARGET_CARD)
    res = _run(compose_cfg, tmp_path, "benchmark=tele_monitor", "hardware=a100", "hardware.telemetry.autostart=false",
               f"+benchmark.options.rapl_file={zone / 'energy_uj'}")
    run = mlflow_client.get_run(res.run_id)
    m, tags = run.data.metrics, run.data.tags

    # energy: per phase, to target, total -- read at boundaries even while sampling is paused
    assert tags["telemetry.energy"] == "measured" and tags["telemetry.cpu_energy_method"] == "rapl"
    assert m["system/energy_solver_joules"] == pytest.approx(8.0)
    assert m["energy_to_target_joules"] == pytest.approx(6.0)
    assert m["energy_to_solution_joules"] == pytest.approx(8.0)
    assert m["system/cpu_package_0_energy_joules"] == pytest.approx(8.0)
    assert m["system/total_energy_joules"] == pytest.approx(8.0)

    # coarse control: nothing sampled in the unmonitored 0.4 s
    assert m["system/time_solver_s"] >= 0.6
    cpu = mlflow_client.get_metric_history(res.run_id, "system/cpu_utilization_percentage")
    assert 3 <= len(cpu) <= 8  # resume + ~3 grid samples + pause + final
    assert min(h.timestamp for h in cpu) >= run.info.start_time + 350

    # profile vs machine: tagged and explained
    assert tags["hardware.mismatch"] == "true" and tags["hw.gpu_model"] == "none"
    check = json.loads(Path(mlflow_client.download_artifacts(res.run_id, "hardware/profile_check.json",
                                                              str(tmp_path))).read_text())
    assert check["mismatch"] is True and "a100" in check["reason"] and check["consequence"] != "none"

    # achieved FLOP/s against the a100 profile's tf32 peak
    assert m["achieved_flops_per_s"] == pytest.approx(5e8)
    assert m["flops_utilization_percentage"] == pytest.approx(100 * 5e8 / 156e12)


def test_time_to_target_excludes_data_staging(make_benchmark, compose_cfg, mlflow_client, tmp_path):
    """MLPerf's time to train starts at run_start: a slow download/generation must not count."""
    root = make_benchmark("tele_slow_data", TARGET_CODE, TARGET_CARD)
    (root / "benchmarks" / "tele_slow_data" / "dataset.py").write_text(
        "import time\nfrom pathlib import Path\nSCALES = {'tiny': {}}\n"
        "def generate(root, scale, seed=0):\n    time.sleep(1.5)\n"
        "    (Path(root) / 'values.txt').write_text('1')\n    return [Path(root) / 'values.txt']\n")
    res = _run(compose_cfg, tmp_path, "benchmark=tele_slow_data")
    m = mlflow_client.get_run(res.run_id).data.metrics
    assert m["system/time_data_staging_s"] >= 1.5
    assert 0.45 <= m["time_to_target_s"] < 1.5, m["time_to_target_s"]
    assert m["time_to_solution_s"] >= m["time_to_target_s"] + 1.5
