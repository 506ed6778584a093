"""The reference server as a killable subprocess (`python -m server.cli serve`), for SYNC.md §5's
server-crash scenarios, over a SQLite file or a PostgreSQL database.

- `seed_database(url)`: the e2e world (`tests/e2e/conftest.py` `_seed`: demo users with password
  "demo", one customer, one open case owned by agent in queue 1). SQLite files go through `_seed`
  itself; other URLs get the same rows from the same functions.
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
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from server.db.bootstrap import initialize
from server.db.engine import Database
from server.sync.changes import ChangeWriter
from tests.e2e.conftest import ROOT, Seed, _seed
from tests.support.demo import create_demo_data
from tests.support.net import free_port

START_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 120.0
#: between looks at a starting server (polling a process that cannot signal readiness)
POLL_S = 0.05


def _seed_url(url: str) -> Seed:
    """`_seed` for a database URL: the same demo data, customer and case, through the same calls."""
    db = Database(url)
    try:
        initialize(db)
    finally:
        db.dispose()
    data = create_demo_data(url)
    customer_id, case_id = str(uuid.uuid4()), str(uuid.uuid4())
    db = Database(url)
    try:
        with db.write() as conn:
            writer = ChangeWriter(conn)
            writer.insert(
                "customer",
                {"id": customer_id, "display_name": "Ada Lovelace", "territory_id": data.territory_ids[0]},
            )
            writer.insert(
                "case",
                {
                    "id": case_id,
                    "number": "CS-1",
                    "customer_id": customer_id,
                    "subject": "Broken router",
                    "description": "",
                    "status": "open",
                    "priority": "normal",
                    "queue_id": data.queue_ids[0],
                    "owner_id": data.agent_id,
                    "origin_channel": "phone",
                },
            )
            writer.notify()
    finally:
        db.dispose()
    return Seed(data=data, customer_id=customer_id, case_id=case_id)


def seed_database(url: str) -> Seed:
    """Initialize and seed the database at `url` (an empty PostgreSQL database or a new SQLite path)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _seed(Path(parsed.database or ""))
    return _seed_url(url)


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
