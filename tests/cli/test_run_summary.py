"""The end-of-run console summary: target and headline metrics first, the rest on request."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from sciml_mlflow.cli.run_summary import summary_lines
from sciml_mlflow.errors import ConfigError

METRICS = {f"aaa_{i}": float(i) for i in range(20)} | {
    "val_psnr": 32.5, "test_psnr": 33.1, "test_ssim": 0.97, "time_to_target_s": 12.0,
    "system/cpu_percent": 50.0, "system/time_total_s": 30.0, "system/telemetry_samples": 3.0}
TARGET = SimpleNamespace(metric="val_psnr", value=32.0, mode="max")


def test_target_then_headline_in_card_order_then_a_count():
    lines = summary_lines(METRICS, ["test_psnr", "test_ssim"], TARGET)
    assert "val_psnr >= 32: REACHED after 12 s (final 32.5)" in lines[0]
    assert lines[1].split() == ["test_psnr", "33.1"] and lines[2].split() == ["test_ssim", "0.97"]
    assert lines[3] == "  (+21 more metrics: add summary=all, or open the run in MLflow)"  # 20 aaa_ + time_to_target
    assert len(lines) == 4


def test_all_lists_every_science_metric_but_no_telemetry():
    lines = summary_lines(METRICS, ["test_psnr"], TARGET, mode="all")
    keys = [line.split()[0] for line in lines[1:]]
    assert keys[0] == "test_psnr" and "aaa_19" in keys and "test_ssim" in keys
    assert not any(k.startswith("system/") for k in keys)


def test_unreached_target_and_missing_headline_metric():
    lines = summary_lines({"val_accuracy": 0.7}, ["test_accuracy"],
                          SimpleNamespace(metric="val_accuracy", value=0.9, mode="max"))
    assert "not reached (final 0.7)" in lines[0] and lines[1].split() == ["test_accuracy", "-"]


def test_bad_mode_is_a_config_error():
    with pytest.raises(ConfigError, match="summary='some'"):
        summary_lines({}, mode="some")


def test_every_card_names_headline_metrics(compose_cfg):
    for name, first in [("dms_structure", "val_accuracy"), ("em_denoise", "test_psnr"), ("slstr_cloud", "test_iou")]:
        cfg = compose_cfg(f"benchmark={name}")
        assert list(cfg.benchmark.headline)[0] == first
