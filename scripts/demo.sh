#!/usr/bin/env bash
# The demo: bootstrap, then `liaison --demo`: the desktop starts the reference server itself (a
# throwaway SQLite database seeded with 20,000 customers and the demo users, on a free loopback
# port), signs in as `agent` and opens the busiest customer. Closing the window stops the server and
# deletes the demo data. Extra arguments go to the desktop (e.g. `bash scripts/demo.sh --theme dark`
# or `--screenshot demo.png`).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/bootstrap.sh

if [ "$(uname -s)" != "Darwin" ] && [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  printf 'demo: no display: the desktop runs with QT_QPA_PLATFORM=offscreen, so its window is not visible; Ctrl-C stops the demo\n'
  export QT_QPA_PLATFORM=offscreen
fi
exec "$PWD/.venv/bin/liaison" --demo "$@"
