"""The optimiser named by the hyperparameters (``benchmark.training.optimizer``)."""

from __future__ import annotations

from typing import Any, Iterable

from sciml_mlflow.errors import ConfigError

OPTIMIZERS = ("adam", "adamw", "sgd")


def make_optimizer(params: Iterable[Any], hparams: Any) -> "Any":
    """Adam, AdamW or SGD (momentum 0.9) with the run's learning rate and weight decay."""
    import torch

    name = str(hparams.optimizer).lower()
    lr, wd = hparams.learning_rate, hparams.weight_decay
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr, weight_decay=wd)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=wd)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=0.9, weight_decay=wd)
    raise ConfigError(f"benchmark.training.optimizer={hparams.optimizer!r} is not supported; "
                      f"expected one of {', '.join(OPTIMIZERS)}")
