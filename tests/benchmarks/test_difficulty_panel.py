"""scripts/difficulty_panel.py: stages the data like a run, runs a benchmark's panel, reads the model's score
only from FINISHED training runs on the same dataset digest with the card's settings."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location("difficulty_panel", ROOT / "scripts" / "difficulty_panel.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_mean_ci_is_the_student_t_interval(script) -> None:
    mean, ci = script.mean_ci([0.97, 0.91, 0.94])
    assert mean == pytest.approx(0.94)
    assert ci == pytest.approx(4.302653 * 0.03 / 3**0.5, rel=1e-5)  # t(0.975, 2) * sd / sqrt(n)
    assert script.mean_ci([0.5]) == (0.5, 0.0)


def test_reference_runs_must_match_digest_and_card_settings(script, monkeypatch) -> None:
    def run(seed, digest, epochs, value, start):
        return SimpleNamespace(tags={"seed": seed, "dataset.digest": digest}, params={"benchmark.training.epochs": epochs},
                               metrics={"test_psnr": value}, start_time=start)

    runs = [run("1", "d", "20", 33.0, 1), run("1", "d", "20", 33.5, 2),  # the later run of a seed wins
            run("2", "other", "20", 99.0, 3),  # another dataset version
            run("3", "d", "10", 31.0, 4)]  # other settings
    import sciml_mlflow.tracking.runstore as runstore

    monkeypatch.setattr(runstore, "load_runs", lambda uri, tag_equals: runs)
    got = script.reference_scores("sqlite:///x", "em_denoise", "small", "d", "test_psnr",
                                  {"benchmark.training.epochs": "20"})
    assert got == {"1": 33.5}


def test_script_on_tiny_prints_the_panel_and_writes_json(script, sciml_home, tmp_path, capsys) -> None:
    out = tmp_path / "panel.json"
    assert script.main(["--benchmark", "em_denoise", "--scale", "tiny", "--seeds", "1", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "| nl_means |" in printed and "no finished training run" in printed
    data = json.loads(out.read_text())
    assert data["metric"] == "test_psnr" and data["digest"].endswith(".dir") and data["model"] == {}
    assert set(data["panel"]) == {"noisy_input", "gaussian", "median_gaussian", "nl_means"}
    assert script.main(["--benchmark", "no_such_benchmark"]) == 2
