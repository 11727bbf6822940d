"""Report groups by what makes runs comparable and says when a group's average is suspect (issue 16 item 4),
and each benchmark's table shows its card's headline metrics (issue 12 item 5).  Plain RunRecords: no store."""

from __future__ import annotations

import json
from typing import Dict, Optional

from sciml_mlflow.report.schema import FigureSpec, ReportConfig
from sciml_mlflow.report.summary import markdown, summarize, table_rows
from sciml_mlflow.tracking.runstore import RunRecord

HEADLINES = {"dms_structure": ["val_accuracy", "test_accuracy"], "em_denoise": ["test_psnr", "test_ssim"],
             "slstr_cloud": ["test_iou", "test_f1"]}
_n = [0]


def _run(bench: str, seed: int, metrics: Dict[str, float], scale: str = "tiny", digest: str = "aaaa1111bbbb",
         params: Optional[Dict[str, str]] = None, model: str = "small", division: str = "open") -> RunRecord:
    _n[0] += 1
    tags = {"benchmark": bench, "seed": str(seed), "hardware": "cpu", "mode": "train", "dataset.name": f"{bench}_sim",
            "dataset.scale": scale, "dataset.digest": digest, "compliance.division": division}
    base = {"benchmark.model": model, "benchmark.training.learning_rate": "0.001",
            "benchmark.options.augment": "True", "benchmark.headline": json.dumps(HEADLINES[bench])}
    return RunRecord(f"r{_n[0]}", "1", bench, f"{bench} seed={seed}", "FINISHED", 1000 * _n[0], 1000 * _n[0] + 10,
                     params={**base, **(params or {})}, tags=tags, metrics=metrics)


def _cfg() -> ReportConfig:
    return ReportConfig(figures=[FigureSpec(name="test_accuracy", kind="metric", metric="test_accuracy",
                                            better="higher")], rank_by="test_accuracy")


def test_tiny_small_and_options_are_never_averaged_together():
    runs = [_run("dms_structure", s, {"test_accuracy": 0.9}) for s in range(2)]
    runs += [_run("dms_structure", s, {"test_accuracy": 0.97}, scale="small", digest="cccc2222") for s in range(2)]
    runs += [_run("dms_structure", 0, {"test_accuracy": 0.8}, params={"benchmark.training.learning_rate": "0.1"})]
    runs += [_run("dms_structure", 0, {"test_accuracy": 0.85}, model="reference")]
    summary = summarize(runs, _cfg())
    keys = {g.key: len(g.runs) for g in summary.groups}
    assert len(keys) == 4, keys
    by = ["benchmark", "dataset", "model", "options", "hardware", "rules"]
    assert list(summary.cfg.group_by) == by
    rows = {g.key[1:4]: g for g in summary.groups}
    assert rows[("dms_structure_sim/small @cccc2222", "small", "learning_rate=0.001")].aggregates[
        "test_accuracy"].value == 0.97
    assert ("dms_structure_sim/tiny @aaaa1111", "small", "learning_rate=0.1") in rows  # only what differs is shown
    assert ("dms_structure_sim/tiny @aaaa1111", "reference", "learning_rate=0.001") in rows
    assert all(not g.flags for g in summary.groups)
    tiny = sorted((g.rank, g.key[2], g.key[3]) for g in summary.groups if "/tiny" in g.key[1])
    assert tiny == [(1, "small", "learning_rate=0.001"), (2, "reference", "learning_rate=0.001"),
                    (3, "small", "learning_rate=0.1")]  # ranked within benchmark and dataset


def test_duplicate_seeds_and_mixed_datasets_are_flagged():
    runs = [_run("dms_structure", 1, {"test_accuracy": 0.9}), _run("dms_structure", 1, {"test_accuracy": 0.91}),
            _run("dms_structure", 2, {"test_accuracy": 0.92}, digest="dddd3333")]
    summary = summarize(runs, _cfg())
    (group,) = summary.groups
    assert group.flags == ["duplicate seed 1 (x2)", "mixed datasets: aaaa1111, dddd3333"]
    assert group.key[1] == "dms_structure_sim/tiny"  # no single digest to show
    header, rows = table_rows(summary, "dms_structure")
    assert header[-1] == "flags" and "duplicate seed 1" in rows[0][-1]
    assert "mixed datasets" in markdown(summary)


def test_each_benchmark_table_has_its_headline_metrics_and_no_other_columns():
    runs = [_run("em_denoise", s, {"test_psnr": 33.0 + s, "test_ssim": 0.96}) for s in range(2)]
    runs += [_run("slstr_cloud", s, {"test_iou": 0.85, "test_f1": 0.92, "test_accuracy": 0.94}) for s in range(2)]
    runs += [_run("dms_structure", s, {"test_accuracy": 0.97, "val_accuracy": 0.96}) for s in range(2)]
    summary = summarize(runs, _cfg())
    assert summary.benchmarks() == ["dms_structure", "em_denoise", "slstr_cloud"]
    em_header, em_rows = table_rows(summary, "em_denoise")
    assert [h for h in em_header if h.startswith("test_")] == ["test_psnr", "test_ssim"]
    assert em_rows[0][em_header.index("test_psnr")].startswith("33.5 ± ")
    sl_header, _ = table_rows(summary, "slstr_cloud")
    assert sl_header[sl_header.index("runs") + 1:] == ["test_iou", "test_f1", "test_accuracy"]  # card order first
    dms_header, _ = table_rows(summary, "dms_structure")
    assert dms_header[dms_header.index("runs") + 1:] == ["val_accuracy", "test_accuracy"]
    assert next(f for f in summary.figures if f.name == "test_psnr").better == "higher"
