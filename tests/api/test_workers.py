"""`serve --workers 2` on PostgreSQL: a push through one worker pokes SSE clients of the other."""

import json
import os
import subprocess
import sys
import threading
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.conftest import build_world
from tests.api.sync_helpers import Mirror, login

pytestmark = pytest.mark.postgres


def _serve(db_url: str, port: int, workers: int, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "server.cli",
            "serve",
            "--database",
            db_url,
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--allow-demo-passwords",
        ],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def _wait_healthy(url: str, proc: subprocess.Popen[bytes]) -> None:
    with httpx.Client(timeout=1) as http:
        for _ in range(600):
            if proc.poll() is not None:
                raise AssertionError("the server exited")
            try:
                if http.get(url + "/healthz").status_code == 200:
                    return
            except httpx.TransportError:
                threading.Event().wait(0.05)  # polling a starting process; not a timing assertion
    raise AssertionError("the server did not start")


def test_push_through_one_worker_pokes_sse_on_the_other(pg_url: str, free_port: Any, tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = _serve(pg_url, port, 2, tmp_path / "server.log")
    try:
        _wait_healthy(url, proc)
        world = build_world(url, pg_url)
        http = login(url, "rep")
        streams: list[tuple[str, Any, Any]] = []
        clients = []
        # open SSE connections until two different worker processes serve them
        for _ in range(40):
            c = httpx.Client(base_url=url, timeout=20, headers=dict(http.headers))
            clients.append(c)
            cm = c.stream("GET", "/api/v1/sync/events")
            resp = cm.__enter__()
            streams.append((resp.headers["x-liaison-worker"], cm, resp))
            if len({w for w, _c, _r in streams}) == 2:
                break
        workers = {w for w, _c, _r in streams}
        assert len(workers) == 2, "uvicorn did not spread connections over both workers"
        listener_worker, _cm, listener = streams[0]
        lines = listener.iter_lines()
        first = _next_data(lines)
        # push through the other worker
        m = Mirror(http)
        for _ in range(50):
            # a new connection each time: the kernel hands it to either worker
            with httpx.Client(base_url=url, timeout=20, headers=dict(http.headers)) as fresh:
                resp = fresh.post(
                    "/api/v1/sync/push",
                    json={
                        "client_id": m.client_id,
                        "mutations": [
                            m.mutation(
                                "interaction",
                                str(uuid.uuid4()),
                                "append",
                                {
                                    "customer_id": world.customer["ann"],
                                    "channel": "phone",
                                    "occurred_at": "2026-03-01T09:00:00+00:00",
                                },
                            )
                        ],
                    },
                )
            assert resp.status_code == 200
            if resp.headers["x-liaison-worker"] != listener_worker:
                pushed_seq = resp.json()["results"][0]["server_seq"]
                break
        else:
            raise AssertionError("no push landed on the other worker")
        while True:
            data = _next_data(lines)
            if data["head"] >= pushed_seq:
                break
        assert data["head"] > first["head"]
        for _w, cm, _r in streams:
            cm.__exit__(None, None, None)
        for c in clients:
            c.close()
        world.db.dispose()
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def _next_data(lines: Any) -> dict[str, Any]:
    for line in lines:
        if line.startswith("data:"):
            data: dict[str, Any] = json.loads(line.split(":", 1)[1])
            return data
    raise AssertionError("stream ended")
