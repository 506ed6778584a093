"""A simulator run against the real server over loopback: the CLI creates the key, `simulate
--fast` posts a couple of simulated hours, and the server's `GET /api/v1/queues?as_of=…` equals
METRICS.md recomputed independently from the simulator's own event log (tests/simulator/recompute.py)
at several instants of the run and at its end."""

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.sync_helpers import login
from tests.e2e.conftest import ROOT, Seed, seed_database
from tests.simulator.helpers import KNOWN, START
from tests.simulator.recompute import assert_same, queue_figures
from tests.support.full_run import FULL_ENV
from tests.support.live import LiveServer, start_live_server

CLI_TIMEOUT_S = 600
FULL = os.environ.get(FULL_ENV) == "1"


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "server.cli", *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 0, done.stderr + done.stdout
    return done


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[LiveServer, Seed]]:
    db_url = f"sqlite:///{tmp_path / 'server.db'}"
    seed = seed_database(db_url)
    live = start_live_server(db_url)
    try:
        yield live, seed
    finally:
        live.stop()


def _integration_key(db_url: str) -> str:
    out = _cli("create-integration-key", "--database", db_url, "--name", "simulator-test").stdout
    return out.strip().splitlines()[-1]


def _simulate(live: LiveServer, key: str, tmp_path: Path, hours: int, agents: int) -> list[dict[str, Any]]:
    numbers = tmp_path / "numbers.txt"
    numbers.write_text("\n".join(KNOWN) + "\n", encoding="utf-8")
    log = tmp_path / "events.jsonl"
    done = _cli(
        "simulate",
        "--database", live.db_url,
        "--url", live.url,
        "--fast",
        "--seed", "17",
        "--duration", f"{hours}h",
        "--start", START.isoformat(),
        "--agents", str(agents),
        "--numbers", str(numbers),
        "--log", str(log),
        env={"LIAISON_INTEGRATION_KEY": key},
    )  # fmt: skip
    assert key not in done.stdout + done.stderr  # the key never shows
    assert "0 rejected" in done.stdout, done.stdout
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize(
    ("hours", "agents"),
    [
        (2, 8),
        pytest.param(24, 30, marks=[pytest.mark.slow, pytest.mark.skipif(not FULL, reason="--full only")]),
    ],
)
def test_server_metrics_equal_the_recomputed_ones(
    server: tuple[LiveServer, Seed], tmp_path: Path, hours: int, agents: int
) -> None:
    live, seed = server
    key = _integration_key(live.db_url)
    events = _simulate(live, key, tmp_path, hours, agents)
    kinds = {e["type"] for e in events}
    assert {"contact_answered", "acw_ended", "contact_abandoned", "agent_state"} <= kinds
    queues = {q for e in events if e["type"] == "contact_offered" for q in [e["queue_id"]]}
    assert queues == set(seed.data.queue_ids)

    supervisor = login(live.url, "supervisor")
    end = START + timedelta(hours=hours)
    instants = [START + timedelta(minutes=m) for m in range(20, hours * 60, 20 if hours <= 2 else 90)] + [end]
    checked = 0
    for now in instants:
        today = now.replace(hour=0, minute=0, second=0, microsecond=0)  # the server's zone: UTC
        response = supervisor.get("/api/v1/queues", params={"as_of": now.isoformat()})
        assert response.status_code == 200, response.text
        body = response.json()
        for status in body["queues"]:
            mine = queue_figures(
                events, status["queue_id"], status["sl_threshold_s"], now, body["rolling_window_s"], today
            )
            assert datetime.fromisoformat(status["today"]["since"]) == today
            assert_same(status, mine, f"{now.isoformat()} {status['name']}")
            checked += mine["today"]["answered"]
    assert checked > 0


def test_the_state_endpoint_needs_the_key_and_lists_the_simulated_agents(
    server: tuple[LiveServer, Seed], tmp_path: Path
) -> None:
    live, _ = server
    key = _integration_key(live.db_url)
    with httpx.Client(base_url=live.url, timeout=30) as http:
        assert http.get("/api/v1/telephony/state").status_code == 401
        _simulate(live, key, tmp_path, 1, 4)
        state = http.get("/api/v1/telephony/state", headers={"Authorization": f"Bearer {key}"})
    assert state.status_code == 200, state.text
    ids = {row["agent_id"] for row in state.json()["agents"]}
    assert {f"sim-agent-{k:03d}" for k in range(1, 5)} <= ids
