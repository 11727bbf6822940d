"""What the tests know about the machine they run on.

Some tests assert what a CPU-only machine produces (hardware detected as ``cpu``, energy "not measured",
a mismatch against a GPU profile).  They are marked ``@cpu_only`` and skip, saying why, on a GPU machine,
where those outcomes are different by design.
"""

from __future__ import annotations

from functools import lru_cache

import pytest


@lru_cache(maxsize=1)
def detected_profile() -> str:
    from sciml_mlflow.core.resources import config_dir
    from sciml_mlflow.hardware.detect import detect_machine, load_profile_matches, match_profile

    return match_profile(detect_machine(), load_profile_matches(config_dir() / "hardware"))


cpu_only = pytest.mark.skipif(detected_profile() != "cpu",
                              reason=f"assumes a CPU-only machine (detected hardware 'cpu'); this machine is "
                                     f"{detected_profile()!r}, where the expected outcome differs by design")
