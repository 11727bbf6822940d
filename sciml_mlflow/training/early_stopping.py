"""Early stopping on a monitored loss, keeping the best model's weights."""

from __future__ import annotations

import copy
import math
from typing import Any


class EarlyStopping:
    """Remembers the best epoch by ``loss`` and says when ``patience`` epochs passed without improvement.

    ``patience`` 0 never stops early (every epoch runs) but still restores the best weights at the end,
    so the model a benchmark evaluates and saves is the one its validation picked.
    """

    def __init__(self, model: Any, patience: int) -> None:
        self.patience = int(patience)
        self.best_loss = math.inf
        self.best_epoch = 0
        self.bad_epochs = 0
        self._state = copy.deepcopy(model.state_dict())

    def step(self, loss: float, epoch: int, model: Any) -> bool:
        """Record ``epoch``'s ``loss``; True when training should stop."""
        if loss < self.best_loss:
            self.best_loss, self.best_epoch, self.bad_epochs = loss, epoch, 0
            self._state = copy.deepcopy(model.state_dict())
            return False
        self.bad_epochs += 1
        return self.patience > 0 and self.bad_epochs >= self.patience

    def restore(self, model: Any) -> None:
        """Load the best epoch's weights back into ``model``."""
        model.load_state_dict(self._state)
