"""Multi-level loggers and the journal: lines, phases (timed once per name), events."""

from __future__ import annotations

import pytest
import yaml

from sciml_mlflow.telemetry.phases import PhaseTimer
from sciml_mlflow.errors import BenchmarkContractError
from sciml_mlflow.scimlbench.journal import Journal, metric_name
from sciml_mlflow.scimlbench.logger import ProcLogger
from sciml_mlflow.scimlbench.params_out import ParamsOut
from tests.metric_sink import RecordingSink


class _Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def _journal(tmp_path):
    sink = RecordingSink()
    clock = _Clock()
    phases = PhaseTimer(sink)
    return Journal(tmp_path / "logs", phases.phase, sink, clock=clock), sink, clock


def test_metric_names_are_slugs():
    assert metric_name("Training the Model (epoch 1/3)") == "training_the_model_epoch_1_3"
    assert metric_name("  ") == "unnamed"


def test_subproc_times_a_phase_and_writes_lines(tmp_path):
    journal, sink, _ = _journal(tmp_path)
    out = ParamsOut(journal)
    with out.log.subproc("Loading data"):
        out.log.message("two\n lines")
    journal.close()
    assert "system/time_loading_data_s" in sink.metrics
    text = (tmp_path / "logs" / "console.log").read_text().splitlines()
    assert text[0] == "<BEGIN> Loading data"
    assert text[1:3] == ["....<MESSG> two", "....        lines"]
    assert text[3].startswith("<ENDED> Loading data [ELAPSED = ")
    assert not (tmp_path / "logs" / "host0.log").exists()  # host logger never activated: silent, as in SciMLBench


def test_the_same_name_open_twice_is_timed_once(tmp_path):
    journal, sink, _ = _journal(tmp_path)
    out = ParamsOut(journal)
    out.log.begin("Top")
    out.log.console.begin("Top")
    out.log.console.ended("Top")
    out.log.ended("Top")
    assert len(sink.metrics["system/time_top_s"]) == 1


def test_mismatched_or_unpaired_ended_is_a_contract_error(tmp_path):
    journal, _, _ = _journal(tmp_path)
    log = ParamsOut(journal).log.console
    with pytest.raises(BenchmarkContractError, match="without a matching begin"):
        log.ended("x")
    log.begin("a")
    with pytest.raises(BenchmarkContractError, match="innermost open proc is 'a'"):
        log.ended("b")


def test_open_procs_are_timed_up_to_close(tmp_path):
    journal, sink, _ = _journal(tmp_path)
    ParamsOut(journal).log.console.begin("Never ended")
    journal.close()
    assert "system/time_never_ended_s" in sink.metrics


def test_stamp_event_is_a_metric_step_and_an_events_row(tmp_path):
    journal, sink, clock = _journal(tmp_path)
    out = ParamsOut(journal)
    clock.t = 1.5
    out.system.stamp_event("start training")
    clock.t = 2.5
    out.system.stamp_event("start training")
    journal.close()
    assert sink.metrics["system/event_start_training"] == [(0, 1.5), (1, 2.5)]
    rows = yaml.safe_load((tmp_path / "logs" / "events.yaml").read_text())
    assert [r["elapsed_s"] for r in rows] == [1.5, 2.5] and rows[0]["event"] == "start training"


def test_activate_with_device_log_writes_device_rank_file(tmp_path):
    journal, _, _ = _journal(tmp_path)
    out = ParamsOut(journal)
    out.activate(rank=2, local_rank=0, activate_log_on_device=True)
    out.log.device.message("hello")
    journal.close()
    assert "hello" in (tmp_path / "logs" / "device2.log").read_text()
    assert out.log.device.activated and not out.log.console.activated  # console activates on rank 0 only


def test_a_logger_made_by_the_benchmark_is_silent_until_activated(tmp_path):
    own = ProcLogger()
    own.begin("ignored")
    assert own.current_level == 0
    own.activate("mine", tmp_path / "mine.log", screen=False)
    with own.subproc("kept"):
        assert own.current_level == 1 and own.elapsed_shallowest >= 0.0
    assert "<BEGIN> kept" in (tmp_path / "mine.log").read_text()


def test_secrets_in_log_lines_and_events_are_masked(tmp_path):
    journal, sink, _ = _journal(tmp_path)
    out = ParamsOut(journal)
    out.log.message("connecting to postgresql://bench:hunter2@db.local/runs")
    out.system.stamp_event("fetch s3://AKIAABCDEFGHIJKLMNOP")
    journal.close()
    text = (tmp_path / "logs" / "console.log").read_text() + (tmp_path / "logs" / "events.yaml").read_text()
    assert "hunter2" not in text and "AKIAABCDEFGHIJKLMNOP" not in text and "bench:***@db.local" in text
    assert not any("akia" in name for name in sink.metrics)


def test_a_proc_named_like_a_framework_phase_does_not_add_to_it(tmp_path):
    journal, sink, _ = _journal(tmp_path)
    with ParamsOut(journal).log.subproc("Total"):
        pass
    assert "system/time_proc_total_s" in sink.metrics and "system/time_total_s" not in sink.metrics
