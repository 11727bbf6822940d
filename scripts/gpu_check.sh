#!/usr/bin/env bash
# The CUDA paths on a real GPU, in one prepared run (issue 15): autocast bf16/fp16 (+ grad scaler),
# channels-last, torch.compile and NVML energy per phase through sciml_mlflow.training, then one real
# benchmark run on tiny data through the whole framework.  Prints throughput, MFU and energy.
#
#   scripts/gpu_check.sh            # from the repository root; PYTHON=... to choose the interpreter
#
# On a machine without a GPU it says so and exits 0.  Needs ~2-4 minutes on a datacenter GPU.
set -uo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python}"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"

echo "== machine"
if command -v nvidia-smi >/dev/null 2>&1; then
  nvidia-smi --query-gpu=name,driver_version,memory.total,power.limit --format=csv,noheader || true
else
  echo "nvidia-smi not found"
fi
if ! "$PY" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)"; then
  echo "gpu_check: torch sees no CUDA device here: nothing to check (this is not a failure)"
  exit 0
fi

status=0
echo "== training loop variants (synthetic CNN, 64x64 images)"
timeout 420 "$PY" scripts/gpu_check.py "$@" || status=$?

echo "== one framework run: dms_structure, tiny, bf16, detected profile"
home="$(mktemp -d)"
SCIML_MLFLOW_HOME="$home" timeout 300 "$PY" -m sciml_mlflow benchmark=dms_structure benchmark.dataset.scale=tiny \
  benchmark.model=small benchmark.training.epochs=2 hardware.precision=bf16 progress=false summary=all \
  2>&1 | grep -E "run |throughput|accuracy|energy|flops|time_to_solution|MISMATCH|Error|error" || status=$?
echo "== done (exit $status)"
exit $status
