#!/usr/bin/env bash
# Set up a development environment from the project's own files.
#   bash scripts/setup.sh        -> .venv with the package (CPU torch first where no GPU exists)
#   bash scripts/setup.sh test   -> also test extras and the services the tests start (PostgreSQL, Chromium)
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-run}"
PY="${PYTHON:-python3}"

if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
. .venv/bin/activate
python -m pip install -q --upgrade pip >/dev/null

# torch: an unpinned install pulls a multi-GB CUDA build.  Without an NVIDIA GPU take the CPU build first;
# pyproject's range (which 2.13.0 satisfies) then installs nothing more.
if ! python -c "import torch" >/dev/null 2>&1; then
  if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
    python -m pip install -q "torch>=2.4,<2.15"
  else
    python -m pip install -q "torch==2.13.0" \
      || python -m pip install -q "torch==2.13.0" --index-url https://download.pytorch.org/whl/cpu
  fi
fi

if [ "$what" = "test" ]; then
  python -m pip install -q -e ".[test]"
  # Services the tests start for real: PostgreSQL server binaries and Debian's Chromium (headless browser tests).
  bash scripts/ci_services.sh
  if [ ! -x /usr/bin/chromium ]; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
  fi
else
  python -m pip install -q -e ".[sweep,server]"   # launchers, Optuna, the tracking-server extras
fi
