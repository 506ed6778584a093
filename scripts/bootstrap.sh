#!/usr/bin/env bash
# Idempotent setup for Liaison Desk: system packages (Debian/Ubuntu: apt; macOS: Homebrew, for
# PostgreSQL only), then .venv with `pip install -e ".[dev]"`. A second run installs nothing and
# skips pip while pyproject.toml is unchanged. Works as root in CI with no TTY.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
export DEBIAN_FRONTEND=noninteractive PIP_NO_INPUT=1 PIP_DISABLE_PIP_VERSION_CHECK=1

VENV=.venv
STAMP="$VENV/.liaison-bootstrap"
APT_PACKAGES=(
  libegl1 libgl1 libxkbcommon0 libfontconfig1 libfreetype6 fonts-dejavu-core libdbus-1-3 libglib2.0-0
  libx11-6 libx11-xcb1 libxcb1 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0
  libxcb-render-util0 libxcb-render0 libxcb-shape0 libxcb-shm0 libxcb-sync1 libxcb-util1 libxcb-xfixes0
  libxcb-xkb1 libxkbcommon-x11-0 xvfb xauth postgresql python3-venv
)

say() { printf 'bootstrap: %s\n' "$*"; }
die() { printf 'bootstrap: error: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    if [ -t 0 ]; then sudo env DEBIAN_FRONTEND=noninteractive "$@"; else sudo -n env DEBIAN_FRONTEND=noninteractive "$@"; fi
  else
    return 1
  fi
}

apt_missing() {
  local pkg
  for pkg in "${APT_PACKAGES[@]}"; do
    if [ "$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null)" != "installed" ]; then
      printf '%s\n' "$pkg"
    fi
  done
}

install_debian() {
  local missing
  mapfile -t missing < <(apt_missing)
  if [ "${#missing[@]}" -eq 0 ]; then
    say "system packages: all present"
    return 0
  fi
  say "system packages missing: ${missing[*]}"
  if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null 2>&1; then
    say "warning: not root and no sudo; install them yourself: apt-get install ${missing[*]}"
    return 0
  fi
  as_root apt-get update -q || die "apt-get update failed (as root or with sudo)"
  as_root apt-get install -y -q --no-install-recommends "${missing[@]}" || die "apt-get install failed"
}

install_macos() {
  if ! command -v brew >/dev/null 2>&1; then
    say "macOS without Homebrew: skipping PostgreSQL (its tests will be skipped)"
    return 0
  fi
  if command -v pg_ctl >/dev/null 2>&1 || brew list --versions postgresql@16 >/dev/null 2>&1; then
    say "PostgreSQL: present"
  else
    say "installing PostgreSQL with Homebrew"
    brew install postgresql@16
  fi
}

find_python() {
  local candidate
  for candidate in ${LIAISON_PYTHON:-} python3.11 python3.12 python3.13 python3.14 python3; do
    command -v "$candidate" >/dev/null 2>&1 || continue
    if "$candidate" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; then
      printf '%s\n' "$candidate"
      return 0
    fi
  done
  return 1
}

venv_ok() {
  [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null
}

setup_venv() {
  if ! venv_ok; then
    local python
    python="$(find_python)" || die "no Python >= 3.11 with the venv module found (tried python3.11..3.14, python3; set LIAISON_PYTHON=/path/to/python)"
    say "creating $VENV with $python ($("$python" -V 2>&1))"
    rm -rf "$VENV"
    "$python" -m venv "$VENV"
  fi
  local want have=""
  want="$("$VENV/bin/python" -c 'import hashlib, sys; print(hashlib.sha256(open("pyproject.toml", "rb").read()).hexdigest(), sys.version.split()[0])')"
  [ -f "$STAMP" ] && have="$(cat "$STAMP")"
  if [ "$want" = "$have" ] && "$VENV/bin/python" -c 'import importlib.metadata as m; m.version("liaison-desk")' 2>/dev/null; then
    say "python packages: up to date (pyproject.toml unchanged)"
    return 0
  fi
  say "installing python packages: pip install -e \".[dev]\""
  "$VENV/bin/python" -m pip install -q -e ".[dev]"
  printf '%s\n' "$want" >"$STAMP"
}

case "$(uname -s)" in
  Linux)
    if command -v apt-get >/dev/null 2>&1 && command -v dpkg-query >/dev/null 2>&1; then
      install_debian
    else
      say "warning: not Debian/Ubuntu; install the Qt runtime libraries, Xvfb and PostgreSQL yourself"
    fi
    ;;
  Darwin) install_macos ;;
  *) say "warning: unsupported OS $(uname -s); trying the Python part anyway" ;;
esac
setup_venv
say "ready: $VENV ($("$VENV/bin/python" -V 2>&1))"
