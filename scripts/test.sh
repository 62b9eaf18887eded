#!/usr/bin/env bash
# The test command: installs what the tests need (Debian and Python packages), then runs the
# linters (ruff, the import-linter contracts of pyproject.toml) and pytest; any failure fails the run.
# Usage: scripts/test.sh [pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: Chromium for the browser tests, npm for their axe-core; PostgreSQL 15 + PostGIS 3
# for the PostGIS store tests, which start a private cluster of their own (tests/pgcluster.py), never
# the system service; Redis for the several-servers tests, which start a private redis-server
# (tests/redisserver.py).
MISSING=""
command -v chromium >/dev/null 2>&1 || MISSING="$MISSING chromium"
command -v npm >/dev/null 2>&1 || MISSING="$MISSING npm"
[ -x /usr/lib/postgresql/15/bin/initdb ] && [ -f /usr/share/postgresql/15/extension/postgis.control ] \
  || MISSING="$MISSING postgresql-15-postgis-3"
[ -x /usr/bin/redis-server ] || MISSING="$MISSING redis-server"
if [ -n "$MISSING" ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  if [[ "$MISSING" == *postgis* ]]; then
    # Installing PostgreSQL must not create (nor start) the system's "main" cluster: the tests make their own.
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql-common >/dev/null
    $SUDO pg_conftool /etc/postgresql-common/createcluster.conf set create_main_cluster off
  fi
  # Installing redis-server must not start its system service: Debian's policy-rc.d convention
  # (exit 101: "action forbidden") keeps package scripts from starting any service meanwhile.
  POLICY=/usr/sbin/policy-rc.d
  OWN_POLICY=""
  if [ ! -e "$POLICY" ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$POLICY" >/dev/null && $SUDO chmod 755 "$POLICY" && OWN_POLICY=1
  fi
  # shellcheck disable=SC2086  # one word per package
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $MISSING >/dev/null
  [ -z "$OWN_POLICY" ] || $SUDO rm -f "$POLICY"
fi

# Python packages, in the project's virtual environment.
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e '.[test]'

# axe-core (the accessibility browser tests), pinned in tests/axe/package.json; installed once, then
# read from disk by the tests (no page loads it from the internet).
if [ ! -f tests/axe/node_modules/axe-core/axe.min.js ]; then
  npm ci --prefix tests/axe --no-audit --no-fund --silent
fi

# Lint before testing: style and errors, then the import direction between packages.
.venv/bin/ruff check .
.venv/bin/lint-imports --no-cache

export COOPMAP_TEST_OUTPUT="${COOPMAP_TEST_OUTPUT:-$PWD/test-output}"
mkdir -p "$COOPMAP_TEST_OUTPUT"
exec .venv/bin/python -m pytest "$@"
