"""A live server with demo data plus what the contact centre needs: an integration key, a second
agent serving queue 1 only, disposition codes, and a customer whose phone the caller uses."""

import json
import queue
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlalchemy import insert

from server.auth.service import create_user
from server.auth.tokens import hash_integration_key, new_integration_key
from server.db import tables as t
from server.db.engine import Database
from server.db.types import iso, utcnow
from server.sync.changes import ChangeWriter
from tests.api.sync_helpers import login
from tests.support.demo import DemoServer

CALLER = "+442079460018"
#: generous: the machine is shared; nothing waits this long unless something is broken
EVENT_TIMEOUT_S = 120.0
CLOSED = "(stream closed)"


@dataclass
class Centre:
    demo: DemoServer
    db: Database
    key: str
    customer_id: str
    agent2_id: str
    codes: dict[str, str] = field(default_factory=dict)  # code → queue id ("" for global)

    @property
    def url(self) -> str:
        return self.demo.url

    def phone(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60, headers={"Authorization": f"Bearer {self.key}"})

    def user(self, username: str) -> httpx.Client:
        return login(self.url, username)


@pytest.fixture
def centre(demo_server: Callable[..., DemoServer]) -> Iterator[Centre]:
    demo = demo_server()
    db = Database(demo.db_url)
    key = new_integration_key()
    with db.write() as conn:
        conn.execute(
            insert(t.integration_key).values(
                id=str(uuid.uuid4()), name="pbx", key_hash=hash_integration_key(key), created_at=iso(utcnow())
            )
        )
    agent2 = create_user(
        db,
        username="agent2",
        display_name="Agent Two",
        password="demo",
        roles=["agent"],
        queue_ids=[demo.queue_ids[0]],
        territory_ids=[],
    )
    customer_id = str(uuid.uuid4())
    codes = {"billing_done": demo.queue_ids[0], "sales_done": demo.queue_ids[1], "wrong_number": ""}
    with db.write() as conn:
        w = ChangeWriter(conn)
        w.insert(
            "customer",
            {"id": customer_id, "display_name": "Ann Example", "territory_id": demo.territory_ids[0]},
        )
        w.insert(
            "contact_point",
            {"id": str(uuid.uuid4()), "customer_id": customer_id, "kind": "phone", "value": CALLER},
        )
        for code, queue_id in codes.items():
            w.insert(
                "disposition_code",
                {"id": str(uuid.uuid4()), "queue_id": queue_id or None, "code": code, "label": code.title()},
            )
        w.notify()
    yield Centre(demo, db, key, customer_id, agent2.id, codes)
    db.dispose()


class SseStream:
    """A user's SSE stream read in a thread; `next(kind)` returns the next event of that kind."""

    def __init__(self, http: httpx.Client) -> None:
        self.events: queue.Queue[tuple[str, dict[str, Any]]] = queue.Queue()
        self._http = http
        self._stop = threading.Event()
        self._opened = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()
        if not self._opened.wait(EVENT_TIMEOUT_S):
            raise TimeoutError("the SSE stream did not open")

    def _read(self) -> None:
        kind = ""
        try:
            with self._http.stream("GET", "/api/v1/sync/events", timeout=None) as resp:
                for line in resp.iter_lines():
                    if self._stop.is_set():
                        return
                    if line.startswith("event:"):
                        kind = line.partition(":")[2].strip()
                    elif line.startswith("data:"):
                        data = json.loads(line.partition(":")[2].strip())
                        if kind == "poke":
                            self._opened.set()
                        self.events.put((kind, data))
        except httpx.HTTPError:
            pass  # the server stopped or the test closed the stream
        finally:
            self.events.put((CLOSED, {}))

    def until(self, kind: str) -> tuple[dict[str, Any], list[str]]:
        """The next event of `kind` and the kinds of the events seen before it."""
        seen: list[str] = []
        while True:
            got, data = self.events.get(timeout=EVENT_TIMEOUT_S)
            if got == CLOSED:
                raise AssertionError(f"the stream closed before a {kind!r} event; saw {seen}")
            if got == kind:
                return data, seen
            seen.append(got)

    def close(self) -> None:
        self._stop.set()
        self._http.close()


@pytest.fixture
def sse() -> Iterator[Callable[[httpx.Client], SseStream]]:
    opened: list[SseStream] = []

    def open_stream(http: httpx.Client) -> SseStream:
        stream = SseStream(http)
        opened.append(stream)
        return stream

    yield open_stream
    for s in opened:
        s.close()
