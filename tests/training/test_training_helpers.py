"""The torch helpers every reference benchmark shares."""

from __future__ import annotations

import time

import pytest
import torch

from sciml_mlflow.errors import ConfigError
from sciml_mlflow.training import DeviceTimer, EarlyStopping, make_optimizer


def test_early_stopping_keeps_the_best_weights_and_stops_after_patience():
    net = torch.nn.Linear(1, 1, bias=False)
    stopper = EarlyStopping(net, patience=2)
    trace = []
    for epoch, (loss, w) in enumerate([(1.0, 1.0), (0.5, 2.0), (0.7, 3.0), (0.6, 4.0)], start=1):
        net.weight.data.fill_(w)
        trace.append(stopper.step(loss, epoch, net))
    assert trace == [False, False, False, True]
    stopper.restore(net)
    assert stopper.best_epoch == 2 and net.weight.item() == 2.0


def test_patience_zero_never_stops_but_still_restores_the_best():
    net = torch.nn.Linear(1, 1, bias=False)
    stopper = EarlyStopping(net, patience=0)
    net.weight.data.fill_(7.0)
    assert not stopper.step(0.1, 1, net)
    net.weight.data.fill_(8.0)
    assert not any(stopper.step(1.0, e, net) for e in range(2, 50))
    stopper.restore(net)
    assert net.weight.item() == 7.0


def test_device_timer_counts_only_its_windows():
    timer = DeviceTimer("cpu")
    assert timer.stop() == 0.0 and not timer.running  # stop without start: nothing counted
    time.sleep(0.5)  # outside any window: not counted (long, so a loaded machine's overshoot can't reach it)
    with timer:
        time.sleep(0.02)
    with timer:
        time.sleep(0.02)
    assert 0.04 <= timer.seconds < 0.5


@pytest.mark.parametrize("name,cls", [("adam", torch.optim.Adam), ("AdamW", torch.optim.AdamW), ("sgd", torch.optim.SGD)])
def test_optimizer_from_hyperparameters(name, cls):
    class HP:
        optimizer, learning_rate, weight_decay = name, 0.01, 0.001

    opt = make_optimizer(torch.nn.Linear(2, 1).parameters(), HP)
    assert isinstance(opt, cls) and opt.param_groups[0]["lr"] == 0.01


def test_unknown_optimizer_is_a_config_error():
    class HP:
        optimizer, learning_rate, weight_decay = "lion", 0.01, 0.0

    with pytest.raises(ConfigError, match="adam, adamw, sgd"):
        make_optimizer(torch.nn.Linear(2, 1).parameters(), HP)
