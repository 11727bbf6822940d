"""sciml_mlflow: scientific ML benchmarks run uniformly through Hydra, DVC and MLflow.

Public API (kept light: importing the package imports neither torch nor mlflow).
"""

from sciml_mlflow.core.context import HardwareProfile, Hyperparameters, RunContext, Target
from sciml_mlflow.errors import (
    BenchmarkContractError,
    BenchmarkNotFoundError,
    ConfigError,
    DataError,
    HardwareMismatchError,
    ModeNotDefinedError,
    RuleViolationError,
    SciMLError,
    TrackingError,
)

__version__ = "0.1.0"

__all__ = [
    "RunContext",
    "Hyperparameters",
    "HardwareProfile",
    "Target",
    "SciMLError",
    "ConfigError",
    "BenchmarkNotFoundError",
    "ModeNotDefinedError",
    "BenchmarkContractError",
    "DataError",
    "TrackingError",
    "HardwareMismatchError",
    "RuleViolationError",
    "__version__",
]
