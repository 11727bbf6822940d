"""Numbers in YAML/JSON result files -> metrics (flat -> value, list -> history)."""

from __future__ import annotations

import json
import logging

import yaml

from sciml_mlflow.scimlbench.results import flatten, result_metrics


def test_flatten_rules():
    doc = {"acc": 0.5, "n": 3, "ok": True, "name": "x", "none": None, "hist": [3, 2.5],
           "nested": {"val": {"loss": 0.1}}, "records": [{"a": 1, "b": "s"}, {"a": 2}], "mixed": [1, "x"],
           "empty": []}
    got = sorted(flatten("f", doc))
    assert got == sorted([("f/acc", 0.5, 0), ("f/n", 3.0, 0), ("f/hist", 3.0, 0), ("f/hist", 2.5, 1),
                          ("f/nested/val/loss", 0.1, 0), ("f/records/a", 1.0, 0), ("f/records/a", 2.0, 1)])


def test_top_level_list_and_number_documents():
    assert list(flatten("h", [0.5, 0.25])) == [("h", 0.5, 0), ("h", 0.25, 1)]
    assert list(flatten("t", 4)) == [("t", 4.0, 0)]


def test_files_are_found_recursively_named_by_path_and_own_dirs_skipped(tmp_path):
    (tmp_path / "metrics.yml").write_text(yaml.safe_dump({"mse": 0.2}))
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "scores.json").write_text(json.dumps({"f1": 0.9}))
    (tmp_path / "sciml_bench_run_logs").mkdir()
    (tmp_path / "sciml_bench_run_logs" / "events.yaml").write_text(yaml.safe_dump([{"elapsed_s": 1.0}]))
    (tmp_path / "model.h5").write_bytes(b"\x00\x01")
    got = sorted(result_metrics(tmp_path, exclude=["sciml_bench_run_logs"]))
    assert got == [("metrics/mse", 0.2, 0), ("sub/scores/f1", 0.9, 0)]


def test_an_unreadable_result_file_is_skipped_with_a_warning(tmp_path, caplog):
    (tmp_path / "bad.json").write_text("{not json")
    (tmp_path / "numpy.yml").write_text("x: !!python/object/apply:numpy.core.multiarray.scalar [1]\n")
    (tmp_path / "good.yaml").write_text("y: 1.5\n")
    with caplog.at_level(logging.WARNING):
        got = list(result_metrics(tmp_path))
    assert got == [("good/y", 1.5, 0)]
    assert "bad.json" in caplog.text and "numpy.yml" in caplog.text
