"""The CUDA paths on a real device: autocast (bf16, fp16 + grad scaler), channels-last, torch.compile,
NVML energy per phase — through ``sciml_mlflow.training.fit``/``infer`` and the real telemetry session.

Prints, per variant: training throughput (warm-up excluded, device synced only at the window edges),
FLOPs per sample (torch's FlopCounterMode), achieved FLOP/s, MFU against the detected profile's datasheet
peak for that precision, and the NVML energy of the training phase (J and J/sample).  Not a test; run by
scripts/gpu_check.sh.  Exits 0 with a message when no CUDA device is visible.

    python scripts/gpu_check.py [--epochs 3] [--batches 40] [--batch-size 64] [--variants bf16,fp16,...]
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

VARIANTS = {
    "fp32": {"precision": "fp32"},
    "tf32": {"precision": "tf32"},
    "bf16": {"precision": "bf16"},
    "fp16": {"precision": "fp16"},  # exercises the grad scaler
    "bf16+channels_last": {"precision": "bf16", "channels_last": True},
    "bf16+compile": {"precision": "bf16", "compile": True},
}


class Sink:
    """Metric sink with what the telemetry session needs (latest, listeners)."""

    def __init__(self) -> None:
        self.values: dict = {}

    def log(self, name, value, step=0):
        self.values[name] = float(value)

    def log_dict(self, metrics, step=0):
        for k, v in metrics.items():
            self.log(k, v, step)

    def latest(self, name):
        return self.values.get(name)

    def add_listener(self, name, fn):
        pass

    remove_listener = add_listener


class NoStore:
    def log_batch(self, *a, **k):
        pass

    def log_artifacts(self, *a, **k):
        pass


def model(torch):
    """A small image CNN: enough arithmetic per sample that tensor cores, not launches, dominate."""
    nn = torch.nn
    return nn.Sequential(
        nn.Conv2d(3, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(),
        nn.Conv2d(64, 128, 3, padding=1, stride=2), nn.BatchNorm2d(128), nn.ReLU(),
        nn.Conv2d(128, 256, 3, padding=1, stride=2), nn.BatchNorm2d(256), nn.ReLU(),
        nn.Conv2d(256, 256, 3, padding=1), nn.BatchNorm2d(256), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(256, 10))


def run_variant(name, changes, args, torch, profile_cfg):
    from sciml_mlflow.core.context import HardwareProfile, RunContext
    from sciml_mlflow.hardware.check import HardwareCheck
    from sciml_mlflow.hardware.detect import detect_machine
    from sciml_mlflow.telemetry import TelemetrySession, TelemetrySettings
    from sciml_mlflow.telemetry.flops import count_flops
    from sciml_mlflow.training import StepResult, fit, infer

    hw = HardwareProfile(profile_cfg["name"], args.device, 1, 1, changes["precision"], profile_cfg.get("peak_flops", {}),
                         profile_cfg.get("tdp_watts"), 0, detected=profile_cfg["name"],
                         channels_last=changes.get("channels_last", False), compile=changes.get("compile", False))
    sink = Sink()
    check = HardwareCheck(hw, detect_machine(), None)
    out = Path(tempfile.mkdtemp(prefix="gpu-check-"))
    session = TelemetrySession(TelemetrySettings(True, 0.5, ("gpu",), True), NoStore(), "gpu-check", sink, check)
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(args.batches * args.batch_size, 3, 64, 64, generator=gen)
    y = torch.randint(0, 10, (len(x),), generator=gen)
    batches = [(x[i : i + args.batch_size], y[i : i + args.batch_size]) for i in range(0, len(x), args.batch_size)]
    net = model(torch).to(args.device)
    flops = count_flops(net, x[:8].to(args.device)) / 8
    loss_fn = torch.nn.CrossEntropyLoss()

    def step(m, b):
        return StepResult(loss_fn(m(b[0]).float(), b[1]), len(b[1]))

    with session:
        ctx = RunContext.for_tests(out, out, sink, benchmark="gpu_check", device=args.device, hardware=hw,
                                   epochs=args.epochs, batch_size=args.batch_size, optimizer="sgd",
                                   learning_rate=0.01, phases=session.phases, telemetry=session.control)
        t0 = time.perf_counter()
        res = fit(ctx, net, lambda e: batches, step)
        wall = time.perf_counter() - t0
        with ctx.phase("evaluation"):
            inf = infer(ctx, lambda b: net(b[0]).float(), batches, size=lambda o: len(o))
    peak = dict(hw.peak_flops).get(hw.precision)
    achieved = flops * (res.throughput or 0.0)
    energy = sink.latest("system/energy_training_joules")
    return {
        "variant": name, "train_samples_per_s": res.throughput, "infer_samples_per_s": inf.rate,
        "flops_per_sample": flops, "achieved_tflops": achieved / 1e12,
        "mfu_percent": 100.0 * achieved / peak if peak else None, "training_wall_s": wall,
        "energy_training_j": energy, "j_per_sample": energy / res.samples_seen if energy else None,
        "final_loss": sink.latest("train_loss"),
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batches", type=int, default=40)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--device", default="cuda", help="cpu: a dry run of this script's own code paths (no CUDA)")
    args = ap.parse_args()
    import torch
    import yaml

    if args.device == "cuda" and not torch.cuda.is_available():
        print("gpu_check: no CUDA device visible to torch: nothing to check on this machine")
        return 0
    from sciml_mlflow.core.resources import config_dir
    from sciml_mlflow.hardware.detect import detect_machine, load_profile_matches, match_profile

    detected = match_profile(detect_machine(), load_profile_matches(config_dir() / "hardware"))
    profile_file = config_dir() / "hardware" / f"{detected}.yaml"
    profile_cfg = yaml.safe_load(profile_file.read_text()) if detected != "cpu" else {"name": detected}
    name = torch.cuda.get_device_name(0) if args.device == "cuda" else "CPU dry run"
    print(f"gpu_check: {name}; profile {detected!r}; torch {torch.__version__}, "
          f"CUDA {torch.version.cuda}; peaks {profile_cfg.get('peak_flops')}")
    failed = 0
    for name in args.variants.split(","):
        try:
            r = run_variant(name, VARIANTS[name], args, torch, profile_cfg)
        except Exception as exc:  # report every variant; one failing path must not hide the others
            failed += 1
            print(f"  {name:20s} FAILED: {type(exc).__name__}: {exc}")
            continue
        fmt = lambda v, spec: "n/a" if v is None else format(v, spec)  # noqa: E731
        print(f"  {name:20s} train {fmt(r['train_samples_per_s'], '9.1f')} samples/s  infer "
              f"{fmt(r['infer_samples_per_s'], '9.1f')} samples/s  {fmt(r['achieved_tflops'], '7.2f')} TFLOP/s  "
              f"MFU {fmt(r['mfu_percent'], '5.1f')} %  energy {fmt(r['energy_training_j'], '8.1f')} J "
              f"({fmt(r['j_per_sample'], '.4f')} J/sample)  loss {fmt(r['final_loss'], '.3f')}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
