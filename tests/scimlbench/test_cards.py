"""Card-less SciMLBench benchmarks compose; bench args are free-form on the command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from sciml_mlflow.scimlbench.cards import open_bench_args


def test_open_bench_args_adds_or_replaces_only_plain_bench_arg_overrides():
    argv = ["benchmark.bench_args.a=1", "+benchmark.bench_args.b=2", "~benchmark.bench_args.c", "seed=3"]
    assert open_bench_args(argv) == ["++benchmark.bench_args.a=1", "+benchmark.bench_args.b=2",
                                     "~benchmark.bench_args.c", "seed=3"]


def test_a_card_less_benchmark_composes_with_defaults_and_bench_args(scimlbench_collection, compose_cfg, data_root):
    cfg = compose_cfg("benchmark=sb_events", "benchmark.bench_args.epochs=5", "benchmark.bench_args.lr=0.5")
    assert cfg.benchmark.name == "sb_events"
    assert dict(cfg.benchmark.bench_args) == {"epochs": 5, "lr": 0.5}
    assert cfg.benchmark.dataset.name == "sb_events"
    assert Path(cfg.benchmark.dataset.root) == Path(data_root) / "sb_events"  # SciMLBench: <data root>/<name>


def test_a_card_adds_defaults_and_the_command_line_replaces_them(scimlbench_collection, compose_cfg):
    cfg = compose_cfg("benchmark=sb_args", "benchmark.bench_args.batch_size=8", "benchmark.bench_args.new=x")
    assert cfg.benchmark.dataset.name == "sb_args_data" and cfg.benchmark.dataset.root is None
    assert dict(cfg.benchmark.bench_args) == {"batch_size": 8, "new": "x"}


def test_unknown_keys_elsewhere_are_still_refused(scimlbench_collection, compose_cfg):
    from hydra.errors import ConfigCompositionException

    with pytest.raises(ConfigCompositionException):
        compose_cfg("benchmark=sb_events", "benchmark.no_such_key=1")
