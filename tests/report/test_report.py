"""`report` over crafted runs: files exist, numbers match an independent computation, a figure defined
after the runs computes over them, the bulk SQL reader agrees with the MLflow client path."""

from __future__ import annotations

import csv
import statistics
from pathlib import Path

import pytest

from sciml_mlflow.report.build import build_report
from sciml_mlflow.report.schema import load_report_config

# hardware -> per run: (val_accuracy per epoch, elapsed per epoch, cumulative energy [start, epoch ends], test acc)
CPU = [
    ((0.5, 0.92, 0.95), (10.0, 20.0, 30.0), (0.0, 100.0, 200.0, 300.0), 0.90),
    ((0.91, 0.93, 0.95), (12.0, 24.0, 36.0), (0.0, 120.0, 240.0, 360.0), 0.92),
    ((0.5, 0.6, 0.95), (9.0, 18.0, 27.0), (0.0, 90.0, 180.0, 270.0), 0.94),
    ((0.5, 0.6, 0.91), (11.0, 22.0, 33.0), (0.0, 110.0, 220.0, 330.0), 0.89),
]
A100 = [
    ((0.95, 0.96), (2.0, 4.0), None, 0.95),
    ((0.80, 0.85), (2.5, 5.0), None, 0.93),  # never reaches 0.9
    ((0.85, 0.91), (3.0, 6.0), None, 0.96),
]

CONFIG = """
title: Test report
group_by: [benchmark, hardware]
rank_by: time_to_train
pareto_x: time_to_target
pareto_y: test_accuracy
log_to_mlflow: {log}
figures:
  - {{name: time_to_train, kind: time_to_target, aggregate: olympic, unit: s}}
  - {{name: time_to_target, kind: time_to_target, unit: s}}
  - {{name: energy_to_target, kind: energy_to_target, unit: J}}
  - {{name: test_accuracy, kind: metric, metric: test_accuracy, better: higher}}
  - {{name: throughput_per_watt, kind: per_watt, metric: train_throughput_samples_per_s, better: higher}}
"""


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """One crafted store for the module (creating SQLite stores is the slow part)."""
    from mlflow.tracking import MlflowClient

    from tests.fixtures.crafted_runs import make_crafter

    uri = f"sqlite:///{tmp_path_factory.mktemp('report_store')}/mlflow.db"
    craft_run = make_crafter(MlflowClient(uri))
    for hw, runs in (("cpu", CPU), ("a100", A100)):
        for seed, (accs, el, energy, test) in enumerate(runs):
            craft_run(hardware=hw, seed=seed, accs=accs, elapsed=el, energy=energy, test_accuracy=test, throughput=50.0)
    craft_run(hardware="cpu", seed=99, mode="inference")  # not a training run: filtered out by mode
    return uri


def _ttt(accs, el):
    return next((e for a, e in zip(accs, el) if a >= 0.9), None)


def _config(tmp_path: Path, text: str, log: bool = False):
    p = tmp_path / "report.yaml"
    p.write_text(text.format(log=str(log).lower()))
    return load_report_config(str(p))


def _groups(path: Path):
    return {row["hardware"]: row for row in csv.DictReader(path.open())}


def test_report_numbers_match_independent_computation(store, tmp_path):
    from mlflow.tracking import MlflowClient
    from scipy import stats

    mlflow_client = MlflowClient(store)

    res = build_report(store, _config(tmp_path, CONFIG, log=True), tmp_path / "out")
    files = {k: Path(v) for k, v in res.files.items()}
    for role in ("markdown", "csv", "runs_csv", "html", "png:pareto_dms_structure", "png:learning_curves", "png:bars_time_to_target"):
        assert files[role].is_file() and files[role].stat().st_size > 0, role
    g = _groups(files["csv"])
    assert set(g) == {"cpu", "a100"} and g["cpu"]["runs"] == "4"  # the inference run is not counted

    cpu_ttt = sorted(_ttt(a, e) for a, e, _, _ in CPU)                     # [18, 20, 27, 33]... as computed
    assert float(g["cpu"]["time_to_train"]) == pytest.approx(statistics.fmean(cpu_ttt[1:-1]))
    a100_ttt = [_ttt(a, e) for a, e, _, _ in A100]                        # [2.0, None, 6.0]
    assert float(g["a100"]["time_to_train"]) == pytest.approx(6.0)       # fastest dropped, failure is the slowest
    assert g["a100"]["time_to_target_n"] == "2" and a100_ttt.count(None) == 1

    tests = [t for *_, t in CPU]
    lo, hi = stats.t.interval(0.95, len(tests) - 1, loc=statistics.fmean(tests), scale=stats.sem(tests))
    assert float(g["cpu"]["test_accuracy"]) == pytest.approx((lo + hi) / 2)
    assert float(g["cpu"]["test_accuracy_ci"]) == pytest.approx((hi - lo) / 2)

    # energy at the first epoch reaching the target, minus the window's first sample; 'not measured' on a100
    e_cpu = [en[1 + [i for i, a in enumerate(acc) if a >= 0.9][0]] - en[0] for acc, _, en, _ in CPU]
    assert float(g["cpu"]["energy_to_target"]) == pytest.approx(statistics.fmean(e_cpu))
    assert g["a100"]["energy_to_target"] == ""
    # throughput / mean power over the training window (energy / last elapsed)
    tpw = [50.0 / (en[-1] / el[-1]) for _, el, en, _ in CPU]
    assert float(g["cpu"]["throughput_per_watt"]) == pytest.approx(statistics.fmean(tpw))
    assert g["a100"]["rank"] == "1" and g["cpu"]["rank"] == "2"  # ranked by olympic time, lower is better

    md = files["markdown"].read_text()
    assert "| rank | benchmark | hardware |" in md and "time_to_train [s]" in md
    html = files["html"].read_text()
    assert "data:image/png;base64," in html and "http" not in html.replace("http-equiv", "")  # no CDN
    arts = {a.path for a in mlflow_client.list_artifacts(res.run_id, "report")}
    assert mlflow_client.get_run(res.run_id).info.artifact_uri.startswith(Path(store[10:]).parent.as_uri())
    assert {"report/report.html", "report/report.csv", "report/pareto_dms_structure.png", "report/pareto_dms_structure.svg", "report/report.tex"} <= arts


def test_figure_defined_after_the_runs(store, tmp_path):
    text = CONFIG + """
  - {{name: best_val, kind: metric, metric: val_accuracy, reduce: max, aggregate: max, better: higher}}
  - {{name: accuracy_per_second, kind: expression, expr: "test_accuracy / time_to_target", better: higher}}
"""
    res = build_report(store, _config(tmp_path, text), tmp_path / "out", plots=False)
    g = _groups(Path(res.files["csv"]))
    assert float(g["cpu"]["best_val"]) == pytest.approx(max(max(a) for a, *_ in CPU))
    expected = statistics.fmean(t / _ttt(a, e) for a, e, _, t in CPU)
    assert float(g["cpu"]["accuracy_per_second"]) == pytest.approx(expected)
    assert g["a100"]["accuracy_per_second_n"] == "2"  # the non-converged run has no time, so no ratio


def test_bulk_sql_reader_agrees_with_client_path(store):
    from sciml_mlflow.tracking.runstore import _load_client, load_runs

    keys = ["val_accuracy", "epoch_elapsed_s", "system/*"]
    fast = {r.run_id: r for r in load_runs(store, tag_equals={"mode": "train"}, history_keys=keys)}
    slow = {r.run_id: r for r in _load_client(store, (), None, {"mode": "train"}, ("FINISHED",), keys,
                                              ("benchmark.target.metric",), None)}
    assert set(fast) == set(slow) and len(fast) == len(CPU) + len(A100)
    for rid, r in fast.items():
        s = slow[rid]
        assert r.params == s.params and r.tags == s.tags and r.metrics == s.metrics
        assert r.history == s.history and r.start_time == s.start_time
    filtered = load_runs(store, filter_string="tags.hardware = 'a100' and params.seed != '1'")
    assert sorted(r.tags["seed"] for r in filtered) == ["0", "2"]


def test_cli_report_with_default_config(store, tmp_path, capsys):
    from sciml_mlflow.cli.main import main

    out = tmp_path / "cli"
    assert main(["report", "--tracking-uri", store, "-o", str(out), "--no-log", "--no-plots"]) == 0
    printed = capsys.readouterr().out
    assert "time_to_train" in printed and "8 runs" not in printed and "7 runs in 2 groups" in printed
    assert (out / "report.html").is_file() and not list(out.glob("*.png"))
