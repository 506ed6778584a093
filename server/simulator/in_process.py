"""`liaison-server serve --simulate`: the simulator in a thread beside the server.

It waits for the server's /healthz, makes itself an integration key (a new one at every start,
stored as a hash under the name `IN_PROCESS_KEY_NAME` and replacing the previous one; the key
only lives in this process's memory and is never printed or logged), reads the phone queues and
the customers' numbers from the database, then runs in real time until the server stops, offering
contacts to the real signed-in agents too.
"""

import logging
import threading
import uuid
from datetime import UTC, datetime
from typing import Final

import httpx
from sqlalchemy import delete, insert

from server.auth.tokens import hash_integration_key, new_integration_key
from server.db import tables as t
from server.db.engine import Database
from server.db.types import utcnow
from server.simulator.real_agents import StatePoller
from server.simulator.runner import run_realtime
from server.simulator.setup import RunPlan, http_client
from server.simulator.sink import HttpSink
from server.simulator.sources import numbers_from_database, phone_queues_from_database

log = logging.getLogger(__name__)

IN_PROCESS_KEY_NAME: Final = "liaison-simulator (in-process)"
#: between looks at a server that is still starting (wall seconds)
HEALTH_POLL_S: Final = 0.2
HEALTH_TIMEOUT_S: Final = 300.0


def replace_simulator_key(db: Database) -> str:
    """A fresh integration key for the in-process simulator; the previous one stops working."""
    key = new_integration_key()
    ik = t.integration_key
    with db.write() as conn:
        conn.execute(delete(ik).where(ik.c.name == IN_PROCESS_KEY_NAME))
        conn.execute(
            insert(ik).values(
                id=str(uuid.uuid4()),
                name=IN_PROCESS_KEY_NAME,
                key_hash=hash_integration_key(key),
                created_at=utcnow(),
            )
        )
    return key


class InProcessSimulator:
    """Start with `start()`, stop with `stop()` (joins the thread)."""

    def __init__(self, database_url: str, base_url: str, *, speed: float, seed: int, agents: int) -> None:
        self.database_url = database_url
        self.base_url = base_url
        self.speed = speed
        self.seed = seed
        self.agents = agents
        self.stop_event = threading.Event()
        self._thread = threading.Thread(target=self._run, name="liaison-simulator", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self.stop_event.set()
        self._thread.join(timeout)

    def _wait_healthy(self, client: httpx.Client) -> bool:
        waited = 0.0
        while waited < HEALTH_TIMEOUT_S:
            try:
                if client.get("/healthz").status_code == 200:
                    return True
            except httpx.TransportError:
                pass
            if self.stop_event.wait(HEALTH_POLL_S):
                return False
            waited += HEALTH_POLL_S
        log.error("the simulator gave up: the server did not answer /healthz within %.0f s", HEALTH_TIMEOUT_S)
        return False

    def _run(self) -> None:
        try:
            with http_client(self.base_url) as client:
                if not self._wait_healthy(client):
                    return
                db = Database(self.database_url, pool_size=1)
                try:
                    key = replace_simulator_key(db)
                    queues = phone_queues_from_database(db)
                    numbers = numbers_from_database(db)
                finally:
                    db.dispose()
                if not queues:
                    log.warning("the simulator has nothing to do: the database has no phone queues")
                    return
                plan = RunPlan(self.seed, queues, self.agents, numbers, datetime.now(UTC), self.speed)
                engine = plan.engine()
                log.info(
                    "call simulator: %d queues, %d simulated agents, %d known numbers, speed %g, run %s",
                    len(queues), self.agents, len(numbers), self.speed, engine.run,
                )  # fmt: skip
                sink = HttpSink(client, key, stop=self.stop_event)
                report = run_realtime(engine, sink, self.stop_event, poller=StatePoller(client, key))
                log.info("call simulator stopped: %s", report.summary())
        except Exception:
            log.exception("the call simulator failed")
