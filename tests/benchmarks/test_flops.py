"""Each benchmark's card declares its FLOPs per sample, and the declaration is what FlopCounterMode counts.

The count comes from the benchmark's ``flops.probe(model, mode, options)`` (the card's model and options,
the declaration's own option values over them); a model change makes this fail with the number to write.
"""

from __future__ import annotations

import pytest
from omegaconf import OmegaConf

from sciml_mlflow.core import registry
from sciml_mlflow.telemetry.flops import per_sample

SUITE = sorted(registry.discover())
TOLERANCE = 0.01  # the card rounds to four significant digits


@pytest.mark.parametrize("name", SUITE)
def test_card_declares_the_flops_its_model_does(name: str, compose_cfg):
    cfg = compose_cfg(f"benchmark={name}")
    decl = cfg.benchmark.flops
    assert decl is not None, (f"conf/benchmark/{name}.yaml declares no flops: add flops: {{model, train, inference}} "
                              "(FLOPs per sample, see sciml_mlflow/telemetry/flops.py) so FLOP/s can be logged")
    assert decl.model == cfg.benchmark.model, (
        f"conf/benchmark/{name}.yaml: flops are declared for model {decl.model} but the card runs {cfg.benchmark.model}")
    options = {**OmegaConf.to_container(cfg.benchmark.options, resolve=True), **decl.options}
    probe = registry.get(name).load("flops").probe
    for mode, backward in (("train", True), ("inference", False)):
        declared = decl.get(mode)
        counted = per_sample(probe(str(decl.model), mode, options), backward)
        assert declared is not None, f"conf/benchmark/{name}.yaml: flops.{mode} missing; FlopCounterMode counts {counted:.4g}"
        assert declared == pytest.approx(counted, rel=TOLERANCE), (
            f"conf/benchmark/{name}.yaml: flops.{mode} is {declared:.4g} but the model does {counted:.4g} FLOPs per "
            f"sample (FlopCounterMode via benchmarks/{name}/flops.py); write flops.{mode}: {counted:.4g}")
