"""The shared training loop: standard metrics per epoch, warm-up-excluded throughput synchronised only at
the window's edges, early stopping with the best weights restored, target watching, inference."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from sciml_mlflow.core.context import RunContext, Target
from sciml_mlflow.training import FitOptions, StepResult, device, fit, infer, loop
from tests.metric_sink import RecordingSink


def _ctx(tmp_path, sink, **changes) -> RunContext:
    return RunContext.for_tests(tmp_path, tmp_path, sink, epochs=changes.pop("epochs", 4), batch_size=4,
                                learning_rate=0.05, optimizer="sgd", **changes)


def _data(n_batches=5):
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(n_batches * 4, 3, generator=gen)
    y = x @ torch.tensor([1.0, -2.0, 0.5]) + 0.3
    return lambda epoch: [(x[i : i + 4], y[i : i + 4]) for i in range(0, len(x), 4)]


def _step(model, batch):
    x, y = batch
    out = model(x)[:, 0]
    return StepResult(torch.nn.functional.mse_loss(out, y), len(x), {"train_hits": (out - y).abs().lt(10).sum()})


def test_fit_logs_the_standard_metrics_at_step_epoch(tmp_path):
    sink = RecordingSink()
    net = torch.nn.Linear(3, 1)
    res = fit(_ctx(tmp_path, sink), net, _data(), _step)
    for name in ("train_loss", "train_hits", "samples_seen", "learning_rate", "epoch_elapsed_s",
                 "train_throughput_samples_per_s"):
        assert [s for s, _ in sink.metrics[name]] == [1, 2, 3, 4], name
    assert sink.last("train_hits") == 1.0  # a per-epoch sum divided by the epoch's samples
    assert sink.last("samples_seen") == 4 * 20 == res.samples_seen
    assert sink.metrics["train_loss"][-1][1] < sink.metrics["train_loss"][0][1], "it learns"
    assert res.epochs_run == 4 and res.summary == {"best_epoch": res.best_epoch, "epochs_run": 4}
    assert not net.training, "the model comes back in eval mode"


def test_device_is_synchronised_only_at_the_edges_of_each_timed_window(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(device, "synchronize", lambda dev: calls.append(dev))
    fit(_ctx(tmp_path, RecordingSink(), epochs=3), torch.nn.Linear(3, 1), _data(n_batches=6), _step)
    assert len(calls) == 3 * 2, "two syncs per epoch (window start and end), none per batch"


def test_warm_up_batches_are_left_out_of_the_throughput(tmp_path):
    res = fit(_ctx(tmp_path, RecordingSink(), epochs=2), torch.nn.Linear(3, 1), _data(n_batches=6), _step,
              options=FitOptions(warmup_batches=2))
    # epoch 1 counts batches 3..6 (2 warm-up), epoch 2 all 6: (4 + 6) batches x 4 samples
    assert res.counted_samples == 40 and res.samples_seen == 48
    assert res.throughput == pytest.approx(res.counted_samples / res.timed_s)
    one = fit(_ctx(tmp_path, RecordingSink(), epochs=1), torch.nn.Linear(3, 1), _data(n_batches=1), _step)
    assert one.counted_samples == 4, "a one-batch epoch has no warm-up to spare: its batch counts"


def test_early_stopping_restores_the_best_epochs_weights(tmp_path):
    sink = RecordingSink()
    net = torch.nn.Linear(3, 1)
    losses = iter([0.5, 0.2, 0.4, 0.3, 0.9, 0.8])
    snapshots = []

    def evaluate(model):
        snapshots.append(model.weight.detach().clone())
        return {"val_loss": next(losses)}

    ctx = _ctx(tmp_path, sink, epochs=6, early_stopping_patience=2)
    res = fit(ctx, net, _data(), _step, evaluate)
    assert res.epochs_run == 4 and res.best_epoch == 2, "stopped after two epochs without improvement"
    assert torch.equal(net.weight.detach(), snapshots[1])


def test_target_is_watched_and_can_stop_training(tmp_path):
    values = iter([0.1, 0.6, 0.9, 0.95])
    ctx = _ctx(tmp_path, RecordingSink(), target=Target("val_score", 0.8, "max"))
    res = fit(ctx, torch.nn.Linear(3, 1), _data(), _step, lambda m: {"val_score": next(values)})
    assert res.target_epoch == 3 and res.epochs_run == 4
    values = iter([0.1, 0.6, 0.9, 0.95])
    res = fit(ctx, torch.nn.Linear(3, 1), _data(), _step, lambda m: {"val_score": next(values)},
              FitOptions(stop_at_target=True))
    assert res.target_epoch == 3 and res.epochs_run == 3


def test_infer_keeps_order_and_excludes_the_warm_up_pass(tmp_path):
    seen = []

    def predict(batch):
        seen.append(int(batch[0]))
        return batch * 2

    batches = [torch.full((3,), float(i)) for i in range(4)]
    run = infer(_ctx(tmp_path, RecordingSink()), predict, batches, total=4, warmup=1)
    assert seen == [0, 0, 1, 2, 3], "one untimed warm-up call on the first batch, then every batch once"
    assert [int(o[0]) for o in run.outputs] == [0, 2, 4, 6] and run.samples == 12
    assert run.rate is not None and run.rate > 0
    assert infer(_ctx(tmp_path, RecordingSink()), predict, []).rate is None


# --------------------------------------------------------------------------- CUDA paths, decided on the CPU


def _gpu_ctx(tmp_path, precision, **hw):
    ctx = _ctx(tmp_path, RecordingSink())
    return dataclasses.replace(ctx, device="cuda", hardware=dataclasses.replace(ctx.hardware, precision=precision, **hw))


@pytest.mark.parametrize("precision,dtype,scaled", [("bf16", torch.bfloat16, False), ("fp16", torch.float16, True),
                                                    ("fp32", None, False), ("tf32", None, False)])
def test_precision_decisions_on_a_gpu_context(tmp_path, precision, dtype, scaled):
    from sciml_mlflow.training import precision as prec

    ctx = _gpu_ctx(tmp_path, precision)
    assert prec.autocast_dtype(ctx) == dtype and prec.needs_grad_scaling(ctx) is scaled
    cpu = dataclasses.replace(ctx, device="cpu")
    assert prec.autocast_dtype(cpu) is None and not prec.needs_grad_scaling(cpu), "CPU runs stay fp32"


def test_channels_last_and_compile_prepare_the_training_model(tmp_path, monkeypatch):
    compiled = []
    monkeypatch.setattr(torch, "compile", lambda m: (compiled.append(m), m)[1])
    net = torch.nn.Conv2d(3, 4, 3)
    out = loop._prepare_model(_gpu_ctx(tmp_path, "bf16", channels_last=True, compile=True), net)
    assert compiled == [net] and out is net
    assert net.weight.is_contiguous(memory_format=torch.channels_last)
    plain = torch.nn.Conv2d(3, 4, 3)
    loop._prepare_model(_ctx(tmp_path, RecordingSink()), plain)
    assert not plain.weight.is_contiguous(memory_format=torch.channels_last) and len(compiled) == 1
