#!/usr/bin/env bash
# Services the test suite starts itself: PostgreSQL's server binaries (tests/fixtures/postgres.py runs
# initdb in a temp dir; nothing is installed as a system service or started here).
# Called by scripts/setup.sh test; safe to run again (installs only what is missing).
set -euo pipefail

have_pg() { ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1; }

if have_pg; then
  echo "PostgreSQL server binaries: $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | tail -n1 || command -v initdb)"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "PostgreSQL server binaries missing and no apt-get here: install PostgreSQL (initdb, pg_ctl) with your" \
       "package manager; the services tests skip without them" >&2
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "PostgreSQL server binaries missing and not root: run 'apt-get install postgresql' as root" >&2
    exit 0
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends postgresql >/dev/null
# The Debian package may start a system cluster on 5432; the tests never use it (they run their own).
have_pg && echo "PostgreSQL server binaries installed: $(ls -d /usr/lib/postgresql/*/bin | tail -n1)"
