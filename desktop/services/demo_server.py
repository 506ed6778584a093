"""`liaison --demo`: the reference server as a child process, on a throwaway seeded SQLite database.

Qt-free. `DemoServer.start()` makes a temporary directory, runs `python -m server.cli init` and
`seed --customers N` (which also creates the demo users, password "demo"), then `serve --simulate`
(the server with a simulated phone system: contacts ring for the demo agent once Available) on a free
loopback port, and returns once `/healthz` answers. `stop()` ends the process and deletes the
directory; it also runs at interpreter exit if the caller forgot. The desktop never imports the
server package: it only starts it as a program, as a user would.
"""

import atexit
import contextlib
import logging
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Final

import httpx
from sqlalchemy import func, select

from desktop.services.store import Cache
from desktop.services.store.schema import MIRRORS

log = logging.getLogger(__name__)

DEMO_CUSTOMERS: Final = 20_000
#: a smaller demo (the test suite's screenshots): `LIAISON_DEMO_CUSTOMERS=400 liaison --demo …`
ENV_CUSTOMERS: Final = "LIAISON_DEMO_CUSTOMERS"


def demo_customers() -> int:
    """How many customers the demo seeds: `LIAISON_DEMO_CUSTOMERS` when it is a positive number."""
    named = os.environ.get(ENV_CUSTOMERS, "")
    return int(named) if named.isdigit() and int(named) > 0 else DEMO_CUSTOMERS


DEMO_USERNAME: Final = "agent"
#: the password `server.cli seed` gives the demo users (the server refuses it off loopback)
DEMO_PASSWORD: Final = "demo"  # noqa: S105 - a documented demo credential, loopback only
SETUP_TIMEOUT_S: Final = 600.0
START_TIMEOUT_S: Final = 120.0
STOP_TIMEOUT_S: Final = 15.0
_POLL_S: Final = 0.1


class DemoServerError(RuntimeError):
    """The demo server could not be set up or did not start; the message says which step."""


def free_loopback_port() -> int:
    """A loopback port that was free a moment ago (the child binds it itself)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class DemoServer:
    """One seeded reference server for the demo; use as a context manager or start()/stop()."""

    def __init__(
        self,
        *,
        customers: int | None = None,
        python: str = sys.executable,
        log_file: Path | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self.customers = customers if customers is not None else demo_customers()
        self.python = python
        self.log_file = log_file
        self.progress = progress
        self.port = 0
        self._dir: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def database_url(self) -> str:
        if self._dir is None:
            raise DemoServerError("the demo server is not set up")
        return f"sqlite:///{self._dir / 'demo.db'}"

    def __enter__(self) -> "DemoServer":
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def start(self) -> "DemoServer":
        """Seed the database and start serving; returns once the server answers."""
        self._dir = Path(tempfile.mkdtemp(prefix="liaison-demo-"))
        atexit.register(self.stop)
        try:
            self._log = (self.log_file or self._dir / "server.log").open("ab")
            self._setup()
            self.port = free_loopback_port()
            self._process = subprocess.Popen(  # noqa: S603 - our interpreter, our fixed arguments
                # a simulated phone system beside it: calls ring for the agent once Available
                self._command("serve", "--port", str(self.port), "--simulate"),
                stdout=self._log,
                stderr=subprocess.STDOUT,
                env=self._env(),
            )
            self._wait_healthy()
        except BaseException:
            self.stop()
            raise
        log.info("demo server on %s (%d customers)", self.url, self.customers)
        return self

    def stop(self) -> None:
        """End the server process and delete its database (idempotent)."""
        with self._lock:
            process, self._process = self._process, None
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(STOP_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(STOP_TIMEOUT_S)
            if self._log is not None:
                self._log.close()
                self._log = None
            if self._dir is not None:
                shutil.rmtree(self._dir, ignore_errors=True)
                self._dir = None
        atexit.unregister(self.stop)

    # -- internals -------------------------------------------------------------------------------

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        # the server package sits next to the desktop's (one distribution, or one source tree)
        root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def _command(self, name: str, *extra: str) -> list[str]:
        return [self.python, "-m", "server.cli", name, "--database", self.database_url, *extra]

    def _setup(self) -> None:
        self._run("init")
        self._run("seed", "--customers", str(self.customers))

    def _run(self, name: str, *extra: str) -> None:
        assert self._log is not None
        with subprocess.Popen(  # noqa: S603 - our interpreter, our fixed arguments
            self._command(name, *extra),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=self._env(),
        ) as process:
            assert process.stdout is not None
            for raw in process.stdout:
                self._log.write(raw)
                if self.progress is not None:
                    self.progress(raw.decode("utf-8", "replace").rstrip())
            code = process.wait(SETUP_TIMEOUT_S)
        if code != 0:
            raise DemoServerError(f"`server.cli {name}` failed (exit {code}); see {self._log.name}")

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        pause = threading.Event()  # never set: a bounded wait between health checks
        with httpx.Client(base_url=self.url, timeout=2.0) as client:
            while True:
                process = self._process
                if process is None or process.poll() is not None:
                    code = None if process is None else process.returncode
                    raise DemoServerError(f"the demo server exited during start-up (exit {code})")
                with contextlib.suppress(httpx.HTTPError):
                    if client.get("/healthz").status_code == 200:
                        return
                if time.monotonic() > deadline:
                    raise DemoServerError(f"the demo server did not answer within {START_TIMEOUT_S:.0f} s")
                pause.wait(_POLL_S)


def busiest_customer(cache: Cache) -> str | None:
    """The cached customer with the most interactions (the demo opens it: a full timeline), or None."""
    interaction = MIRRORS["interaction"]
    count = func.count().label("n")
    query = (
        select(interaction.c.customer_id, count)
        .group_by(interaction.c.customer_id)
        .order_by(count.desc(), interaction.c.customer_id)
        .limit(1)
    )
    with cache.read() as conn:
        row = conn.execute(query).first()
    return None if row is None else str(row.customer_id)
