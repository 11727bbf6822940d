"""Phase recorder: times and energies per phase, nested phases not double counted."""

import pytest

from sciml_mlflow.telemetry.phases import PhaseTimer


class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


class Recorder:
    def __init__(self):
        self.latest = {}

    def log_dict(self, metrics, step=0):
        self.latest.update(metrics)


def test_times_energies_and_nesting():
    clock, rec = Clock(), Recorder()
    energy = {"j": 0.0}
    p = PhaseTimer(rec, lambda: energy["j"], clock)
    with p.phase("training"):
        clock.t += 10
        energy["j"] += 1000
        with p.phase("evaluation"):  # nested: logged, not added to the top-level split twice
            clock.t += 2
            energy["j"] += 100
    with p.phase("writing_outputs"):
        clock.t += 1
        energy["j"] += 5
    with p.phase("writing_outputs"):  # re-entered: cumulative
        clock.t += 1
        energy["j"] += 5
    assert rec.latest == pytest.approx({"system/time_training_s": 12, "system/energy_training_joules": 1100,
                                        "system/time_evaluation_s": 2, "system/energy_evaluation_joules": 100,
                                        "system/time_writing_outputs_s": 2, "system/energy_writing_outputs_joules": 10})
    assert p.top_level_s == pytest.approx(14) and p.top_level_j == pytest.approx(1110)


def test_no_energy_means_no_energy_metrics():
    rec = Recorder()
    p = PhaseTimer(rec)
    with p.phase("training"):
        pass
    assert list(rec.latest) == ["system/time_training_s"]


def test_phase_is_recorded_when_the_block_raises():
    rec = Recorder()
    p = PhaseTimer(rec)
    with pytest.raises(RuntimeError):
        with p.phase("training"):
            raise RuntimeError("boom")
    assert "system/time_training_s" in rec.latest
