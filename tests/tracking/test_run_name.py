"""Run names: benchmark, the overrides that differ, seed."""

from __future__ import annotations

import yaml

from sciml_mlflow.tracking.run_name import (
    make_run_name,
    naming_overrides,
    run_name_for,
    sweep_overrides_from,
    swept_keys,
)


def test_framework_steering_stays_out_of_the_name():
    overrides = ["benchmark=dms_structure", "hardware=cpu", "progress=false", "seed=3", "tracking=server",
                 "hydra.sweep.dir=/x", "+tags.owner=me", "benchmark.training.learning_rate=0.01"]
    assert naming_overrides(overrides) == ["benchmark.training.learning_rate=0.01"]
    assert make_run_name("dms_structure", "train", 3, naming_overrides(overrides)) == \
        "dms_structure learning_rate=0.01 seed=3"


def test_inference_and_long_values():
    name = make_run_name("em_denoise", "inference", 1, ["benchmark.options.note=" + "x" * 40])
    assert name.startswith("em_denoise inference note=") and name.endswith(" seed=1")
    assert len(name) < 60


def test_in_a_sweep_only_the_swept_keys_name_the_job(tmp_path):
    sweep = ["benchmark=dms_structure", "benchmark.training.epochs=2", "seed=1,2,3",
             "benchmark.training.learning_rate=choice(0.1,0.01)", "+x=range(1,3)"]
    assert swept_keys(sweep) == ["seed", "benchmark.training.learning_rate", "x"]
    (tmp_path / "multirun.yaml").write_text(yaml.safe_dump({"hydra": {"overrides": {"task": sweep}}}))
    assert sweep_overrides_from(tmp_path) == sweep
    assert sweep_overrides_from(tmp_path / "missing") is None
    job = ["benchmark=dms_structure", "benchmark.training.epochs=2", "seed=2",
           "benchmark.training.learning_rate=0.1"]
    keys = swept_keys(sweep)
    assert make_run_name("dms_structure", "train", 2, naming_overrides(job, keys)) == \
        "dms_structure learning_rate=0.1 seed=2"


def test_outside_hydra_all_naming_overrides_are_used():
    assert run_name_for("toy", "train", 5, ["benchmark.training.epochs=3"]) == "toy epochs=3 seed=5"


def test_secrets_never_reach_a_name():
    name = make_run_name("toy", "train", 1, ["+benchmark.options.api_token=s3cr3t-value", "a.password=hunter2"])
    assert "s3cr3t" not in name and "hunter2" not in name and "api_token=***" in name
