"""The training side of the framework: the shared loop (``fit``/``infer``) and the torch helpers under it.

The framework owns the meaning of the shared hyperparameters (``optimizer``, ``precision`` in the hardware
profile, the seed), so it also owns turning them into torch objects and running the loop: every benchmark
then reads them the same way, and a rule table constraining ``benchmark.training.optimizer`` means the same
for all of them.  Nothing here imports torch at module import.
"""

from sciml_mlflow.training.device import DeviceTimer, to_device
from sciml_mlflow.training.early_stopping import EarlyStopping
from sciml_mlflow.training.loop import FitOptions, FitResult, Inference, StepResult, fit, infer, split_indices
from sciml_mlflow.training.optimizer import make_optimizer
from sciml_mlflow.training.options import option_defaults, option_error, parse_options
from sciml_mlflow.training.precision import autocast, grad_scaler, synchronize
from sciml_mlflow.training.seeding import seed_everything
from sciml_mlflow.training.sharding import TrainSet, epoch_order

__all__ = ["DeviceTimer", "EarlyStopping", "FitOptions", "FitResult", "Inference", "StepResult", "TrainSet",
           "autocast", "epoch_order", "fit", "grad_scaler", "infer", "make_optimizer", "option_defaults", "option_error",
           "parse_options", "seed_everything", "split_indices", "synchronize", "to_device"]
