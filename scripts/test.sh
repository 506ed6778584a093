#!/usr/bin/env bash
# The whole check, as CI runs it: bootstrap, then lint, format, types, import contracts, tests.
# Stops at the first failing step. Extra arguments go to pytest (e.g. `bash scripts/test.sh -k gui -x`).
# pytest runs on up to 4 worker processes (pytest-xdist): every test has its own server, ports,
# files and keyring, and each worker its own throwaway PostgreSQL cluster.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/bootstrap.sh
export PATH="$PWD/.venv/bin:$PATH"
export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"

has_postgres() {
  command -v initdb >/dev/null 2>&1 || compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null
}
if [ "$(uname -s)" = "Linux" ] && has_postgres; then
  # PostgreSQL is installed here, so its tests must run: fail instead of skipping
  export LIAISON_REQUIRE_POSTGRES="${LIAISON_REQUIRE_POSTGRES:-1}"
fi

step() {
  local name="$1"
  shift
  printf '\n==> %s\n' "$name"
  if ! "$@"; then
    printf '\n==> FAILED: %s\n' "$name" >&2
    exit 1
  fi
}

step "ruff check" ruff check .
step "ruff format --check" ruff format --check .
step "mypy (strict)" mypy
step "import contracts (lint-imports)" lint-imports
step "pytest (QT_QPA_PLATFORM=$QT_QPA_PLATFORM, LIAISON_REQUIRE_POSTGRES=${LIAISON_REQUIRE_POSTGRES:-unset})" \
  python -m pytest --numprocesses auto --maxprocesses 4 "$@"
printf '\n==> all steps passed\n'
