#!/usr/bin/env bash
# Services the test suite starts itself (nothing is installed as a system service or started here):
# - PostgreSQL's server binaries (tests/fixtures/postgres.py runs initdb in a temp dir);
# - SLURM 22.05 (slurmctld, slurmd, slurmdbd, the client commands), MUNGE and MariaDB (slurmdbd's store):
#   tests/fixtures/slurm.py starts a one-host cluster on 127.0.0.1 with its config, key, database and
#   sockets in a temp dir (sciml_mlflow/sweep/cluster.py; users: scripts/slurm_cluster.py up).
# Called by scripts/setup.sh test; safe to run again (installs only what is missing).
set -euo pipefail

have_pg() { ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1; }
have_slurm() { command -v slurmctld >/dev/null 2>&1 && command -v slurmd >/dev/null 2>&1 \
  && command -v slurmdbd >/dev/null 2>&1 && command -v sbatch >/dev/null 2>&1 && command -v munged >/dev/null 2>&1 \
  && command -v mariadbd >/dev/null 2>&1 && command -v mariadb-install-db >/dev/null 2>&1; }

missing=()
have_pg || missing+=(postgresql)
have_slurm || missing+=(slurmctld slurmd slurmdbd slurm-client munge mariadb-server)

if [ "${#missing[@]}" -eq 0 ]; then
  echo "PostgreSQL server binaries: $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | tail -n1 || command -v initdb)"
  echo "SLURM: $(slurmctld -V 2>/dev/null || echo '?'), MUNGE: $(command -v munged)"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "missing: ${missing[*]} and no apt-get here: install them with your package manager" \
       "(PostgreSQL's initdb/pg_ctl; slurmctld, slurmd, slurmdbd, sbatch, munged, mariadbd); the tests that need them skip" >&2
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "missing: ${missing[*]} and not root: run 'apt-get install ${missing[*]}' as root" >&2
    exit 0
  fi
fi
# Debian's maintainer scripts would start munge/slurm/mariadb as system services: a policy-rc.d answering 101
# forbids that during this install (the tests start their own daemons, by pid, on 127.0.0.1 only).
policy=/usr/sbin/policy-rc.d
added_policy=""
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
  $SUDO chmod +x "$policy"
  added_policy=1
fi
cleanup() { if [ -n "$added_policy" ]; then $SUDO rm -f "$policy"; fi; }
trap cleanup EXIT
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The Debian package may start a system cluster on 5432; the tests never use it (they run their own).
have_pg && echo "PostgreSQL server binaries: $(ls -d /usr/lib/postgresql/*/bin | tail -n1)"
have_slurm && echo "SLURM installed: $(slurmctld -V)"
