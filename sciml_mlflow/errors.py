"""One exception hierarchy for the whole framework.

Every message says what happened, where, what was expected and what to do; errors raised by libraries
we call (MLflow, DVC, h5py, Hydra) are translated into these at the call site.
"""

from __future__ import annotations


class SciMLError(Exception):
    """Base class of every error sciml_mlflow raises on purpose."""


class ConfigError(SciMLError):
    """A composed configuration is invalid (beyond what Hydra's schema check catches)."""


class BenchmarkNotFoundError(ConfigError):
    """No folder under any benchmarks root has the requested name."""


class ModeNotDefinedError(ConfigError):
    """The benchmark defines no entry point for the requested mode."""


class BenchmarkContractError(SciMLError):
    """A benchmark folder breaks the contract (missing module, entry point of the wrong shape)."""


class DataError(SciMLError):
    """A dataset is missing, corrupt, or could not be fetched."""


class TrackingError(SciMLError):
    """The tracking store or server is unreachable or refused a request."""


class HardwareMismatchError(SciMLError):
    """The machine does not match the configured hardware profile (refused under closed rules)."""


class RuleViolationError(SciMLError):
    """A run breaks the active ruleset and rules are enforced."""


class DataIntegrityError(DataError):
    """A dataset file's content differs from its DVC record (corrupt or modified); ``data pull --force`` repairs."""


class ExpressionError(ConfigError):
    """A rule or figure-of-merit expression uses something the safe evaluator does not allow, or fails."""


class DistributedError(SciMLError):
    """A multi-process (DDP) run could not start or one of its processes failed."""


class OptionError(ConfigError, ValueError):
    """A benchmark's ``options`` block has an unknown key or a value of the wrong type or range."""
