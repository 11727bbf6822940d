"""``sciml-mlflow new``: the scaffolded benchmark passes the suite's contract test as written."""

from __future__ import annotations

import pytest

from sciml_mlflow.cli.main import main
from sciml_mlflow.errors import ConfigError
from tests.benchmarks import test_contract, test_flops


def test_scaffold_refuses_bad_names_and_overwrites(tmp_path):
    from sciml_mlflow.cli.scaffold import scaffold

    with pytest.raises(ConfigError, match="lower-case"):
        scaffold("Bad-Name", tmp_path)
    scaffold("fresh", tmp_path)
    with pytest.raises(ConfigError, match="already exists"):
        scaffold("fresh", tmp_path)


@pytest.mark.slow
def test_new_benchmark_passes_the_contract_at_once(tmp_path, monkeypatch, compose_cfg, mlflow_client, capsys):
    collection = tmp_path / "collection"
    assert main(["new", "oscillator", "--root", str(collection)]) == 0
    assert "wrote" in capsys.readouterr().out
    monkeypatch.setenv("SCIML_MLFLOW_BENCHMARKS", str(collection))
    test_contract.test_folder_has_the_contract_files("oscillator")
    test_flops.test_card_declares_the_flops_its_model_does("oscillator", compose_cfg)
    test_contract.test_train_then_inference_through_the_framework("oscillator", compose_cfg, mlflow_client,
                                                                  tmp_path / "runs")
