"""The run's FLOPs declaration: the card's number for the mode, only when it holds for the run."""

from __future__ import annotations

import pytest

from sciml_mlflow.run.context import TRAIN_RATE, flops_declaration


def test_card_flops_apply_to_the_cards_model_and_options_only(compose_cfg):
    train = flops_declaration(compose_cfg("benchmark=em_denoise"))
    assert train is not None and train.rate_metric == TRAIN_RATE
    assert train.per_sample == pytest.approx(compose_cfg("benchmark=em_denoise").benchmark.flops.train)
    inference = flops_declaration(compose_cfg("benchmark=slstr_cloud", "mode=inference"))
    assert inference is not None and inference.rate_metric == "inference_throughput_scenes_per_s"
    assert flops_declaration(compose_cfg("benchmark=em_denoise", "benchmark.model=reference")) is None, (
        "the numbers are the small model's: a reference run must log no FLOP/s rather than wrong ones")
    assert flops_declaration(compose_cfg("benchmark=em_denoise", "benchmark.options.crop_size=32")) is None, (
        "a 32 px crop does a quarter of the declared work per sample")
