"""Names of the framework's own metrics, chosen for how MLflow 3's UI groups them.

MLflow 3.17's run charts put a metric in the section named by its key up to the last ``/``; sections of
custom prefixes are sorted alphabetically and shown *before* the built-in "Model metrics" (keys without
``/``) and "System metrics" (keys ``system/<name>``, exactly one level; ``system/a/b`` is a custom section
``system/a``) — see docs/decisions.md.  So everything the framework measures about the run itself (phase
times and energies, events, the sampler's own cost, sweep counts) is named ``system/<flat name>`` and
lands in System metrics, after the science.  Figures of merit (``time_to_target_s``,
``time_to_solution_s``, throughput) keep plain names: they are what a run is compared by.

Every writer and reader of these names goes through this module, so a name is defined once.
"""

from __future__ import annotations

SYSTEM_PREFIX = "system/"  # MLflow's System metrics section


def phase_time(phase: str) -> str:
    """Wall seconds of application phase ``phase`` (cumulative): ``system/time_<phase>_s``."""
    return f"{SYSTEM_PREFIX}time_{phase}_s"


def phase_energy(phase: str) -> str:
    """Joules of application phase ``phase`` (cumulative): ``system/energy_<phase>_joules``."""
    return f"{SYSTEM_PREFIX}energy_{phase}_joules"


def event(name: str) -> str:
    """Seconds since the entry point started at event ``name`` (SciMLBench ``stamp_event``)."""
    return f"{SYSTEM_PREFIX}event_{name}"


TOTAL_TIME = phase_time("total")  # the whole run, start to end (lifecycle.finish_run)
UNATTRIBUTED_TIME = phase_time("unattributed")  # time-to-solution outside any top-level phase
UNATTRIBUTED_ENERGY = phase_energy("unattributed")
STAGING_TIME = phase_time("data_staging")  # the data_staging phase (its row is logged when staging ends)
VALIDATION_TIME = phase_time("validation")  # a benchmark timing its validation as a phase
TRAINING_ENERGY = phase_energy("training")
SAMPLER_CPU = f"{SYSTEM_PREFIX}telemetry_sampler_cpu_seconds"  # what the sampling thread itself cost
SWEEP_JOBS = f"{SYSTEM_PREFIX}sweep_jobs"  # a sweep parent's job count
SWEEP_JOBS_FAILED = f"{SYSTEM_PREFIX}sweep_jobs_failed"


def is_system(key: str) -> bool:
    """True for the framework's and MLflow's own measurements (System metrics), False for science and
    figures of merit."""
    return key.startswith(SYSTEM_PREFIX)


__all__ = ["SYSTEM_PREFIX", "phase_time", "phase_energy", "event", "TOTAL_TIME", "UNATTRIBUTED_TIME",
           "UNATTRIBUTED_ENERGY", "STAGING_TIME", "VALIDATION_TIME", "TRAINING_ENERGY", "SAMPLER_CPU",
           "SWEEP_JOBS", "SWEEP_JOBS_FAILED", "is_system"]
