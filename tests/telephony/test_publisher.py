"""`queue_snapshot`: at most once a second and only after a change (an injected clock, no sleeps),
and only to supervisors and admins."""

import asyncio
from pathlib import Path

import pytest

from server.auth.service import create_user
from server.config import ServerSettings
from server.db.engine import Database
from server.db.types import utcnow
from server.events import Broadcaster
from server.sync.changes import ChangeWriter
from server.telephony.actions import record
from server.telephony.delivery import Outbox
from server.telephony.intake import to_event
from server.telephony.publisher import SnapshotPublisher
from tests.conftest import initialize_database
from tests.telephony.handlog import wire_log


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database = Database(initialize_database(f"sqlite:///{tmp_path / 'tel.db'}"))
    with database.write() as conn:
        ChangeWriter(conn).insert("queue", {"id": "queue-q", "name": "Q"})
    return database


def post(db: Database, count: int, start: int = 0) -> None:
    events = [to_event(e) for e in wire_log()[start : start + count]]
    with db.write() as conn:
        record(conn, events, Outbox(postgres=False), now=utcnow(), default_region="GB")


def test_at_most_once_a_second_and_only_after_a_change(db: Database) -> None:
    async def scenario() -> None:
        events = Broadcaster()
        events.bind(asyncio.get_running_loop(), 0)
        sup = create_user(db, username="sup", display_name="Sup", password="pw-pw-pw-1", roles=["supervisor"])
        agent = create_user(db, username="ag", display_name="Ag", password="pw-pw-pw-1", roles=["agent"])
        clock = Clock()
        publisher = SnapshotPublisher(db, ServerSettings(database_url=db.url), events, clock=clock)
        async with events.subscribe(sup.id) as sup_queue, events.subscribe(agent.id) as agent_queue:
            post(db, 4)
            assert publisher.poll() is True  # the first change: published at once
            post(db, 4, start=4)
            for _ in range(5):
                assert publisher.poll() is False  # changed, but within the second
            clock.t += 0.999
            assert publisher.poll() is False
            clock.t += 0.001
            assert publisher.poll() is True  # a second later: the change goes out
            clock.t += 5
            assert publisher.poll() is False  # nothing changed since
            assert publisher.sent == 2
            got = [sup_queue.get_nowait() for _ in range(sup_queue.qsize())]
            assert [e.kind for e in got] == ["queue_snapshot", "queue_snapshot"]
            assert got[1].data["queues"][0]["queue_id"] == "queue-q"
            assert agent_queue.qsize() == 0

    asyncio.run(scenario())
    db.dispose()
