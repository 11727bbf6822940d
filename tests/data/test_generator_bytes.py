"""The generators write the same bytes on every CPU: regenerate ``tiny`` under emulated CPUs and compare
with the hashes committed in dvc.lock.

Each setting runs the generate command (what ``dvc repro`` runs) in a fresh subprocess, so the
environment takes effect when numpy and OpenBLAS load: ``NPY_DISABLE_CPU_FEATURES`` switches numpy's
SIMD dispatch off down to its baseline (an older CPU), ``OPENBLAS_CORETYPE`` picks another BLAS kernel,
thread counts and generator worker counts vary.  One setting per dataset and two for the fast one keep
the whole file around a minute on 2 cores (measured: see docs/data.md); the `small` hashes were checked
by hand under the same settings (docs/data.md, "Same bytes everywhere").
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Dict

import numpy as np
import pytest

from sciml_mlflow.data.project import DvcProject
from sciml_mlflow.data.verify import dir_digest, list_files, md5_file

ROOT = Path(__file__).resolve().parents[2]


def _umath():
    try:
        from numpy._core import _multiarray_umath  # numpy >= 2
    except ImportError:  # numpy 1.26
        from numpy.core import _multiarray_umath  # type: ignore[no-redef]
    return _multiarray_umath


_FEATURES = ("try:\n from numpy._core._multiarray_umath import __cpu_features__ as f\n"
             "except ImportError:\n from numpy.core._multiarray_umath import __cpu_features__ as f\n")


def _dispatch(above: str = "") -> str:
    """numpy's dispatchable CPU features that this CPU has (names differ between numpy releases: 2.4 groups
    them as X86_V3/X86_V4/AVX512_*, older ones list AVX2, FMA3, AVX512F, ...); ``above``: only the
    AVX-512 tier, else everything above the baseline."""
    umath = _umath()
    __cpu_dispatch__, __cpu_features__ = umath.__cpu_dispatch__, umath.__cpu_features__
    names = [n for n in __cpu_dispatch__ if __cpu_features__.get(n)]
    if above == "avx512":
        names = [n for n in names if "AVX512" in n or n == "X86_V4"]
    return " ".join(names)


SETTINGS: Dict[str, Dict[str, str]] = {
    # an SSE4.2-era CPU (numpy baseline only), OpenBLAS's oldest kernel, one thread, one worker
    "baseline-cpu": {"NPY_DISABLE_CPU_FEATURES": "ALL", "OPENBLAS_CORETYPE": "Prescott", "OMP_NUM_THREADS": "1",
                     "OPENBLAS_NUM_THREADS": "1", "SCIML_GENERATE_WORKERS": "1"},
    # an AVX2 CPU without AVX-512, Sandybridge BLAS kernel, two threads, three workers
    "avx2-cpu": {"NPY_DISABLE_CPU_FEATURES": "AVX512", "OPENBLAS_CORETYPE": "Sandybridge", "OMP_NUM_THREADS": "2",
                 "OPENBLAS_NUM_THREADS": "2", "SCIML_GENERATE_WORKERS": "3"},
    # whatever this CPU has, Haswell BLAS kernel, two workers
    "native-haswell": {"OPENBLAS_CORETYPE": "Haswell", "OMP_NUM_THREADS": "2", "SCIML_GENERATE_WORKERS": "2"},
}
CASES = [("em_sim", "baseline-cpu"), ("em_sim", "avx2-cpu"), ("dms_sim", "baseline-cpu"),
         ("slstr_sim", "native-haswell")]  # + the quick-start test regenerates em_sim tiny with defaults


def _env(setting: str) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NPY_DISABLE_CPU_FEATURES", "OPENBLAS_CORETYPE")}
    env.update(SETTINGS[setting])
    disable = env.get("NPY_DISABLE_CPU_FEATURES")
    if disable == "ALL":
        env["NPY_DISABLE_CPU_FEATURES"] = _dispatch()
    elif disable == "AVX512":
        env["NPY_DISABLE_CPU_FEATURES"] = _dispatch("avx512")
    if not env.get("NPY_DISABLE_CPU_FEATURES"):
        env.pop("NPY_DISABLE_CPU_FEATURES", None)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    env["SCIML_PROGRESS"] = "0"
    return env


@pytest.mark.parametrize("dataset,setting", CASES, ids=[f"{d}-{s}" for d, s in CASES])
def test_tiny_regenerates_to_the_committed_hash(dataset: str, setting: str, tmp_path: Path) -> None:
    record = DvcProject(ROOT).record(f"data/{dataset}/tiny")
    assert record is not None, f"dvc.lock has no record of data/{dataset}/tiny"
    out = tmp_path / dataset / "tiny"
    env = _env(setting)
    probe = subprocess.run([sys.executable, "-c", _FEATURES + "print(sorted(k for k, v in f.items() if v))"], env=env, capture_output=True, text=True)
    assert probe.returncode == 0, probe.stderr  # numpy accepted the feature names
    proc = subprocess.run([sys.executable, "-m", "sciml_mlflow.data.generate", dataset, "tiny", str(out)],
                          env=env, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    listing = {rel: md5_file(out / rel) for rel in list_files(out)}
    assert dir_digest(listing) == record.md5, (
        f"{dataset} tiny under {setting} ({env.get('NPY_DISABLE_CPU_FEATURES', 'all CPU features')}): "
        f"files {listing} hash to {dir_digest(listing)}, dvc.lock records {record.md5}")


def test_disabling_features_really_changes_what_numpy_dispatches() -> None:
    """The emulation is real: with the features disabled, numpy reports them off (else the test proves nothing)."""
    names = _dispatch().split()
    if not names:
        pytest.skip("this CPU has no numpy dispatch features above the baseline: nothing to disable")
    env = _env("baseline-cpu")
    probe = subprocess.run([sys.executable, "-c", _FEATURES + f"print([n for n in {names!r} if f.get(n)])"], env=env, capture_output=True, text=True)
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.strip() == "[]", probe.stdout
    assert np.__version__  # numpy imported here too
