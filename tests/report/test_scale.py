"""Throughput at scale (MLPerf HPC weak scaling) of a sweep: T, S, M and TTTa from crafted instances with
known timestamps, the non-converged instance flagged and left out, and the section in the report."""

from __future__ import annotations

import pytest

from sciml_mlflow.tracking.runstore import load_runs
from sciml_mlflow.report.scale import throughput_at_scale


def test_ttta_over_converged_instances(craft_run, mlflow_client, tmp_path):
    base = 1_800_000_000_000
    ids = []
    for i, accs in enumerate([(0.6, 0.95), (0.7, 0.8, 0.92), (0.5, 0.6, 0.7)]):  # the third never reaches 0.9
        ids.append(craft_run(seed=i, accs=accs, tags={"sweep.id": "weak1", "time.run_start_ms": str(base + 1000 * i)},
                             params={"hardware.nodes": "2", "hardware.device_count": "4", "hardware.accelerator": "cuda"}))
    craft_run(seed=7, tags={"sweep.id": "other"})  # a one-run sweep is not a scale measurement

    # independent expectation from the raw store: first row reaching 0.9 per converged instance
    stops = []
    for rid in ids[:2]:
        hist = sorted((m.step, m.timestamp, m.value) for m in mlflow_client.get_metric_history(rid, "val_accuracy"))
        stops.append(next(ts for _, ts, v in hist if v >= 0.9))
    expected = (max(stops) - base) / 1000.0

    rows = throughput_at_scale(load_runs(mlflow_client.tracking_uri, history_keys=["val_accuracy"]))
    assert len(rows) == 1
    (row,) = rows
    assert (row.sweep, row.instances, row.scale, row.resources) == ("weak1", 3, 8, 24)
    assert row.ttta_s == pytest.approx(expected, abs=1e-9) and row.converged == 2
    assert row.not_converged == [ids[2]] and row.flagged
    assert row.concurrent is False  # crafted runs are an hour apart: stops come long after the next start

    from sciml_mlflow.report.build import build_report
    from sciml_mlflow.report.schema import load_report_config

    cfg = load_report_config("default")
    cfg.log_to_mlflow = False
    res = build_report(mlflow_client.tracking_uri, cfg, tmp_path / "rep", plots=False)
    md = res.files["markdown"].read_text()
    assert "Throughput at scale" in md and f"{expected:.3f}" in md and "not converged" in md
    assert res.files["scale_csv"].read_text().splitlines()[1].startswith("weak1,dms_structure,24,8,3,")
