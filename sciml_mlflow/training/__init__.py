"""PyTorch helpers every reference benchmark needs, kept in one place.

The framework owns the meaning of the shared hyperparameters (``optimizer``, ``precision`` in the hardware
profile, the seed), so it also owns turning them into torch objects: every benchmark then reads them the
same way, and a rule table constraining ``benchmark.training.optimizer`` means the same for all of them.
"""

from sciml_mlflow.training.early_stopping import EarlyStopping
from sciml_mlflow.training.optimizer import make_optimizer
from sciml_mlflow.training.precision import autocast, grad_scaler, synchronize
from sciml_mlflow.training.seeding import seed_everything
from sciml_mlflow.training.throughput import ThroughputMeter

__all__ = ["EarlyStopping", "ThroughputMeter", "autocast", "grad_scaler", "make_optimizer", "seed_everything", "synchronize"]
