"""The run app composes the config once per run (Hydra 1.3's get_mode would compose it a first time)."""

from __future__ import annotations

from hydra._internal.hydra import Hydra

from sciml_mlflow.cli.hydra_app import _composed_once


def test_get_mode_is_answered_without_composing_unless_the_command_sets_hydra_mode():
    original = Hydra.__dict__["get_mode"]
    with _composed_once(["benchmark=dms_structure", "seed=1"]):
        assert Hydra.get_mode(object(), "config", []) is None, "None means: run, or multirun under -m"
    assert Hydra.__dict__["get_mode"] is original, "Hydra is left as it was after the command"
    with _composed_once(["benchmark=dms_structure", "hydra.mode=MULTIRUN"]):
        assert Hydra.__dict__["get_mode"] is original, "a command that sets hydra.mode gets Hydra's own reading"


def test_a_plain_run_composes_once(monkeypatch, tmp_path):
    import sys

    from sciml_mlflow.cli import hydra_app

    calls = []
    real = Hydra.compose_config

    def counting(self, *args, **kwargs):
        calls.append(kwargs.get("run_mode"))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Hydra, "compose_config", counting)
    monkeypatch.setattr(hydra_app, "_task", lambda cfg: None)  # compose only: no run
    monkeypatch.setattr(sys, "argv", ["sciml-mlflow-run"])
    hydra_app.main(["benchmark=dms_structure", "hardware=cpu", f"hydra.run.dir={tmp_path}"])
    assert len(calls) == 1, f"Hydra composed the config {len(calls)} times for one run: {calls}"
