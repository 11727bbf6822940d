"""Hardware identity: fingerprint content, tags, and the profile-vs-machine explanation."""

import json
from types import SimpleNamespace

from sciml_mlflow.hardware.detect import GPUInfo, MachineInfo, compare, detect_machine
from sciml_mlflow.hardware.fingerprint import as_json, fingerprint, fingerprint_tags, mismatch_explanation

GPU_BOX = MachineInfo("n1", "AMD EPYC 7763", 64, 128, 1007.6,
                      [GPUInfo(0, "NVIDIA A100-SXM4-80GB", 80.0, "GPU-a"), GPUInfo(1, "NVIDIA A100-SXM4-80GB", 80.0, "GPU-b")],
                      "550.54.15")


def test_fingerprint_of_this_machine_is_json_and_names_versions():
    fp = json.loads(as_json(fingerprint(detect_machine())))
    assert fp["cpu"]["cores_logical"] >= 1 and fp["memory_gb"] > 0
    assert fp["packages"]["mlflow"] and fp["packages"]["torch"]
    assert set(fp["cuda"]) == {"cuda_torch", "cudnn", "cuda_driver"}


def test_tags_of_a_gpu_node():
    tags = fingerprint_tags(fingerprint(GPU_BOX))
    assert tags["hw.gpu_model"] == "NVIDIA A100-SXM4-80GB" and tags["hw.gpu_count"] == "2"
    assert tags["hw.gpu_memory_gb"] == "80.0" and tags["hw.driver"] == "550.54.15"
    assert tags["hw.cpu_model"] == "AMD EPYC 7763" and tags["hw.cpu_cores"] == "64"
    assert all(v != "" for v in tags.values()), "absent facts say 'none', never blank"
    assert {"version.cuda", "version.torch", "version.mlflow"} <= set(tags)


def test_mismatch_is_explained():
    cpu_box = MachineInfo("h", "Intel Xeon", 2, 2, 24.0)
    profile = SimpleNamespace(name="a100", accelerator="cuda", device_count=1, precision="tf32",
                              peak_flops={"tf32": 156e12}, tdp_watts=400, detected="cpu")
    reason = compare("a100", "cuda", "A100", 1, cpu_box, "cpu")
    exp = mismatch_explanation(profile, cpu_box, reason)
    assert exp["mismatch"] and "CPU only" in exp["reason"] and "0 visible" in exp["reason"]
    assert "not meaningful" in exp["consequence"]
    same = mismatch_explanation(SimpleNamespace(**{**profile.__dict__, "detected": "a100"}), GPU_BOX,
                                compare("a100", "cuda", "A100", 1, GPU_BOX, "a100"))
    assert same["mismatch"] is False and same["consequence"] == "none"
