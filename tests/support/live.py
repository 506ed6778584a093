"""A real uvicorn server in a thread, on a loopback socket bound before it starts."""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import uvicorn
from fastapi import FastAPI

from server.app import create_app
from server.config import ServerSettings
from tests.support.net import bound_socket

START_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 10.0


@dataclass
class LiveServer:
    url: str
    settings: ServerSettings
    db_url: str
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(STOP_TIMEOUT_S)
        if self.thread.is_alive():
            self.server.force_exit = True
            self.thread.join(STOP_TIMEOUT_S)


def start_live_server(
    db_url: str, *, configure: Callable[[FastAPI], None] | None = None, **overrides: Any
) -> LiveServer:
    """Start the API over `db_url`; returns once it accepts connections.

    `configure(app)` may add test-only routes before the server starts.
    """
    sock = bound_socket()
    port = sock.getsockname()[1]
    settings = ServerSettings(**{"database_url": db_url, "host": "127.0.0.1", "port": port, **overrides})
    app = create_app(settings)
    if configure is not None:
        configure(app)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)

    def serve() -> None:
        try:
            server.run(sockets=[sock])
        except SystemExit as exc:  # uvicorn exits this way when startup fails; the log says why
            failures.append(exc)

    failures: list[SystemExit] = []
    thread = threading.Thread(target=serve, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_S
    tick = threading.Event()  # never set: a bounded wait between looks at `started`
    try:
        while not server.started:
            if not thread.is_alive():
                code = failures[0].code if failures else None
                raise RuntimeError(f"the test server on {db_url} did not start (exit {code}; see the log)")
            if time.monotonic() > deadline:
                server.should_exit = True
                raise TimeoutError(f"the test server did not start within {START_TIMEOUT_S} s")
            tick.wait(0.005)
    finally:
        if not server.started:
            sock.close()
    return LiveServer(
        url=f"http://127.0.0.1:{port}", settings=settings, db_url=db_url, server=server, thread=thread
    )
