#!/usr/bin/env bash
# The demo: bootstrap, a seeded reference server on this machine, then the desktop signed in as `agent`.
# Everything lives in ./demo-data (delete it to start over). Closing the desktop stops the server.
# Extra arguments go to the desktop (e.g. `bash scripts/demo.sh --screenshot demo.png`).
# Environment: LIAISON_DEMO_PORT (default 8765, another free port if taken), LIAISON_DEMO_USER (agent).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/bootstrap.sh
ROOT="$PWD"
DATA="$ROOT/demo-data"
PY="$ROOT/.venv/bin/python"
DB_URL="sqlite:///$DATA/server.db"
USERNAME="${LIAISON_DEMO_USER:-agent}"

say() { printf 'demo: %s\n' "$*"; }
die() { printf 'demo: error: %s\n' "$*" >&2; exit 1; }

mkdir -p "$DATA"
if [ ! -f "$DATA/.seeded" ]; then
  # `seed` also creates the demo users agent, supervisor, fieldrep and admin (password: demo)
  say "creating the demo database in $DATA (2000 customers)"
  rm -f "$DATA"/server.db "$DATA"/server.db-wal "$DATA"/server.db-shm
  "$ROOT/.venv/bin/liaison-server" init --database "$DB_URL"
  "$ROOT/.venv/bin/liaison-server" seed --database "$DB_URL" --customers 2000 --seed 1
  date -u +%Y-%m-%dT%H:%M:%SZ >"$DATA/.seeded"
else
  say "demo database already seeded ($DATA/server.db; delete $DATA to start over)"
fi

PORT="$("$PY" - "${LIAISON_DEMO_PORT:-8765}" <<'PYEOF'
import socket
import sys

wanted = int(sys.argv[1])
with socket.socket() as s:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
    try:
        s.bind(("127.0.0.1", wanted))
    except OSError:
        s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])
PYEOF
)"
URL="http://127.0.0.1:$PORT"

SERVER_PID=""
DESKTOP_PID=""
stop() {  # stop <pid> <name>
  if [ -n "$1" ] && kill -0 "$1" 2>/dev/null; then
    say "stopping the $2 (pid $1)"
    kill -TERM "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
  fi
}
cleanup() {
  stop "$DESKTOP_PID" desktop
  stop "$SERVER_PID" server
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "starting the server on $URL (log: $DATA/server.log)"
"$ROOT/.venv/bin/liaison-server" serve --database "$DB_URL" --host 127.0.0.1 --port "$PORT" \
  >"$DATA/server.log" 2>&1 &
SERVER_PID=$!

if ! "$PY" - "$URL/healthz" "$SERVER_PID" <<'PYEOF'
import os
import sys
import time
import urllib.request

url, pid = sys.argv[1], int(sys.argv[2])
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit("the server exited before answering")
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            if response.status == 200:
                sys.exit(0)
    except OSError:
        pass
    time.sleep(0.1)
sys.exit(f"no answer from {url} within 60 s")
PYEOF
then
  tail -n 30 "$DATA/server.log" >&2 || true
  die "the server did not start (full log: $DATA/server.log)"
fi
say "server is up: $URL/healthz answered"

DESKTOP=("$ROOT/.venv/bin/liaison" --server "$URL" --username "$USERNAME" --profile "$DATA/desktop")
if [ "$(uname -s)" != "Darwin" ] && [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  say "no display: the desktop runs with QT_QPA_PLATFORM=offscreen, so its window is not visible; Ctrl-C stops the demo"
  export QT_QPA_PLATFORM=offscreen
fi

say "starting the desktop as $USERNAME (close its window to stop the demo)"
# in the background, so that a signal to this script is handled at once (the traps above)
"${DESKTOP[@]}" "$@" &
DESKTOP_PID=$!
status=0
wait "$DESKTOP_PID" || status=$?
DESKTOP_PID=""
say "the desktop exited (status $status)"
exit "$status"
