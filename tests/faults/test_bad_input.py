"""Bad-input matrix: every value outside its domain is refused before a run exists, naming key and value.

In-process through ``run_benchmark`` (the same check the command line runs first): each case must raise
a ConfigError whose message names the key and the value, and leave the store without a single run.  A
few cases go through the real command line to check the exit code and that no Python traceback shows.
"""

from __future__ import annotations

import pytest

from sciml_mlflow.errors import ConfigError
from tests.conftest import run_cli
from tests.faults.conftest import COMMON, all_runs

pytestmark = pytest.mark.faults

# (overrides, text the message must contain)
CASES = [
    (["benchmark.training.epochs=0"], "benchmark.training.epochs=0"),
    (["benchmark.training.epochs=-1"], "benchmark.training.epochs=-1"),
    (["benchmark.training.batch_size=0"], "benchmark.training.batch_size=0"),
    (["benchmark.training.batch_size=-4"], "benchmark.training.batch_size=-4"),
    (["benchmark=em_denoise", "benchmark.training.batch_size=-4"], "benchmark.training.batch_size=-4"),
    (["benchmark.training.learning_rate=0"], "benchmark.training.learning_rate=0"),
    (["benchmark.training.learning_rate=-0.1"], "learning_rate=-0.1"),
    (["benchmark.training.weight_decay=-1"], "weight_decay=-1"),
    (["benchmark.training.optimizer=rmsprop"], "optimizer='rmsprop'"),
    (["benchmark.training.early_stopping_patience=-1"], "early_stopping_patience=-1"),
    (["benchmark.training.validation_fraction=0"], "validation_fraction=0"),
    (["benchmark.training.validation_fraction=1"], "validation_fraction=1"),
    (["benchmark.training.validation_fraction=1.5"], "validation_fraction=1.5"),
    (["benchmark.training.validation_fraction=-0.2"], "validation_fraction=-0.2"),
    (["seed=-1"], "seed=-1"),
    (["seed=4294967296"], "seed=4294967296"),
    (["seed=99999999999999999"], "seed=99999999999999999"),
    (["hardware.device_count=0"], "hardware.device_count=0"),
    (["hardware.device_count=-2"], "hardware.device_count=-2"),
    (["hardware.nodes=0"], "hardware.nodes=0"),
    (["hardware.precision=fp8"], "hardware.precision='fp8'"),
    (["hardware.accelerator=tpu"], "hardware.accelerator='tpu'"),
    (["hardware.dataloader_workers=-1"], "dataloader_workers=-1"),
    (["hardware.telemetry.interval_s=0"], "interval_s=0"),
    (["benchmark.dataset.root=/definitely/not/a/data/root"], "benchmark.dataset.root='/definitely/not/a/data/root'"),
    (["+benchmark.training.nosuch=1"], "benchmark.training.nosuch: unknown key"),
    (["+hardware.nosuch=1"], "hardware.nosuch: unknown key"),
    (["+benchmark.dataset.typo=1"], "benchmark.dataset.typo: unknown key"),
    (["+nosuch_top=1"], "nosuch_top: unknown key"),
    (["benchmark.target.mode=avg"], "benchmark.target.mode='avg'"),
    (["rules.division=semi"], "rules.division='semi'"),
    (["distributed.max_restarts=-1"], "max_restarts=-1"),
    (["tracking.max_param_length=0"], "max_param_length=0"),
    (["benchmark.training.epochs=0", "seed=-1"], "seed=-1"),  # every problem in one message
]


@pytest.mark.parametrize("overrides,expected", CASES, ids=[" ".join(c[0]) for c in CASES])
def test_refused_before_a_run_exists(toy_steps, compose_cfg, sciml_home, tmp_path, overrides, expected):
    from sciml_mlflow.run import run_benchmark

    bench = [] if any(o.startswith("benchmark=") for o in overrides) else ["benchmark=toy_steps"]
    cfg = compose_cfg(*bench, *overrides)
    with pytest.raises(ConfigError) as info:
        run_benchmark(cfg, tmp_path / "out")
    text = str(info.value)
    assert expected in text and ("expected" in text or "unknown key" in text), text
    assert "fix the value" in text or "remove it" in text  # what to do
    db = sciml_home / "mlflow.db"
    if db.exists():
        from mlflow.tracking import MlflowClient

        assert all_runs(MlflowClient(tracking_uri=f"sqlite:///{db}")) == []


@pytest.mark.parametrize("where", ["artifact_root", "uri"])
def test_unwritable_artifact_root_or_store_is_refused(toy_steps, compose_cfg, sciml_home, tmp_path, where):
    from sciml_mlflow.run import run_benchmark

    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    value = str(blocker / "artifacts") if where == "artifact_root" else f"sqlite:///{blocker}/x/mlflow.db"
    with pytest.raises(ConfigError, match="not writable"):
        run_benchmark(compose_cfg("benchmark=toy_steps", f"tracking.{where}={value}"), tmp_path / "out")
    db = sciml_home / "mlflow.db"
    if db.exists():
        from mlflow.tracking import MlflowClient

        assert all_runs(MlflowClient(tracking_uri=f"sqlite:///{db}")) == []


@pytest.mark.slow
def test_command_line_refusal_has_no_traceback_and_exit_code_2(toy_steps, tmp_path, sciml_home):
    proc = run_cli([*COMMON, "benchmark.training.epochs=0", "+benchmark.training.nosuch=1",
                    f"hydra.run.dir={tmp_path / 'out'}"], cwd=tmp_path)
    text = proc.stdout + proc.stderr
    assert proc.returncode == 2, text[-3000:]
    assert "Traceback" not in text
    assert "benchmark.training.epochs=0" in text and "benchmark.training.nosuch: unknown key" in text
    assert not (sciml_home / "mlflow.db").exists()

# A bad job inside a sweep (message only, no traceback): tests/faults/test_secrets.py's sweep case.
