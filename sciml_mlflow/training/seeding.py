"""One seed for python, numpy and torch."""

from __future__ import annotations


def seed_everything(seed: int) -> None:
    """Seed every generator a benchmark may draw from (the runner does this before each entry point)."""
    import random

    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
