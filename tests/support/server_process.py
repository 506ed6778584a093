"""The reference server as a killable subprocess (`python -m server.cli serve`), for SYNC.md §5's
server-crash scenarios, over a SQLite file or a PostgreSQL database.

- seeding: `tests/e2e/conftest.py` `seed_database(url)` (demo users with password "demo", one
  customer, one open case owned by agent in queue 1), on SQLite or PostgreSQL.
- `ServerProcess(db_url, seed, log)`: `start(**env)` (e.g. the crash point
  `LIAISON_SERVER_CRASHPOINT=after_mutation_commit`) returns once `/healthz` answers; a restart
  keeps the port, so clients keep their base URL as they would across a real server restart.
  `kill()` is `kill -9`; `wait_exit()` waits for a crash point to fire. `generation` counts starts
  and `wait_restarted(after)` blocks a follower until the server is back (no sleeping).
- `query(sql)`: read the database directly (also while the server is down).
"""

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from tests.e2e.conftest import ROOT, Seed
from tests.support.net import free_port

START_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 120.0
#: between looks at a starting server (polling a process that cannot signal readiness)
POLL_S = 0.05


@dataclass
class ServerProcess:
    db_url: str
    seed: Seed
    log: Path
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None
    generation: int = 0
    _changed: threading.Condition = field(default_factory=threading.Condition)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self, **env: str) -> None:
        """Start (or restart, on the same port) with extra environment variables; returns when healthy."""
        if self.running:
            raise RuntimeError("the server is running already")
        if not self.port:
            self.port = free_port()
        command = [sys.executable, "-m", "server.cli", "serve", "--database", self.db_url]
        command += ["--host", "127.0.0.1", "--port", str(self.port)]
        with self.log.open("ab") as out:
            out.write(f"--- start {self.generation + 1} {sorted(env.items())}\n".encode())
            out.flush()
            self.proc = subprocess.Popen(
                command,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
                env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1", **env},
            )
        self._wait_healthy(self.proc)
        with self._changed:
            self.generation += 1
            self._changed.notify_all()

    def _wait_healthy(self, proc: subprocess.Popen[bytes]) -> None:
        tick = threading.Event()  # never set: a bounded pause between looks at a starting process
        deadline = time.monotonic() + START_TIMEOUT_S
        with httpx.Client(timeout=5) as http:
            while time.monotonic() < deadline:
                if proc.poll() is not None:
                    raise RuntimeError(f"the server exited with {proc.returncode}: {self.tail()}")
                try:
                    if http.get(self.url + "/healthz").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                tick.wait(POLL_S)
        raise TimeoutError(f"the server did not answer /healthz within {START_TIMEOUT_S} s: {self.tail()}")

    def wait_exit(self, timeout: float = STOP_TIMEOUT_S) -> int:
        """Wait for the process to end by itself (a crash point); its exit status."""
        assert self.proc is not None
        return self.proc.wait(timeout)

    def kill(self) -> int:
        """`kill -9` the server; its exit status (minus the signal number)."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        return self.proc.wait(STOP_TIMEOUT_S)

    def stop(self) -> None:
        """A graceful stop (SIGTERM), then SIGKILL if it hangs; nothing if not running."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.kill()

    def wait_restarted(self, after: int, timeout: float = STOP_TIMEOUT_S) -> bool:
        """Block until the server started again after generation `after`; False on timeout."""
        with self._changed:
            return self._changed.wait_for(lambda: self.generation > after, timeout)

    def tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    def query(self, sql: str, **params: Any) -> list[Any]:
        engine = create_engine(self.db_url)
        try:
            with engine.connect() as conn:
                return list(conn.execute(text(sql), params).all())
        finally:
            engine.dispose()
