"""`liaison-server serve --simulate`: the simulator starts beside the server as a thread, makes
its own integration key (never printed) and its agents show up on the supervisor's board."""

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from tests.api.sync_helpers import login
from tests.e2e.conftest import ROOT, seed_database
from tests.support.net import free_port

START_TIMEOUT_S = 180.0
#: between looks at a process that cannot signal what it is doing
POLL_S = 0.1


def _wait_for(what: str, check: Callable[[], bool], proc: subprocess.Popen[bytes], log: Path) -> None:
    tick = threading.Event()  # never set: a bounded pause between looks at another process
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
        try:
            if check():
                return
        except httpx.TransportError:
            pass
        tick.wait(POLL_S)
    raise AssertionError(f"{what} did not happen within {START_TIMEOUT_S} s: {log.read_text()[-3000:]}")


def test_serve_simulate_runs_the_simulator_in_process(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'server.db'}"
    seed_database(db_url)
    port = free_port()
    log = tmp_path / "server.log"
    command = [sys.executable, "-m", "server.cli", "serve", "--database", db_url, "--port", str(port)]
    command += ["--simulate", "--simulate-speed", "120", "--simulate-agents", "5", "--simulate-seed", "3"]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            command,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
    url = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=url, timeout=10) as http:
            _wait_for("/healthz", lambda: http.get("/healthz").status_code == 200, proc, log)
        supervisor = login(url, "supervisor")

        def simulated_contacts() -> bool:
            body = supervisor.get("/api/v1/queues").json()
            agents = {row["agent_id"] for row in body["agents"]}
            offered = sum(q["today"]["offered"] for q in body["queues"])
            return {f"sim-agent-{k:03d}" for k in range(1, 6)} <= agents and offered > 0

        _wait_for("simulated agents and contacts", simulated_contacts, proc, log)
    finally:
        proc.terminate()
        proc.wait(120)
    text = log.read_text(errors="replace")
    assert "call simulator" in text
    assert not re.search(r"lik_[A-Za-z0-9_-]{20,}", text)  # the key never shows
