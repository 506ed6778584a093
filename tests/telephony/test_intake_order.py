"""Stored state does not depend on how the log arrives: the hand-written log posted once in order,
or duplicated, shuffled and cut into random batches, gives the same rows and the same figures;
and the figures served over HTTP (`as_of`) equal the hand-computed ones."""

import random
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from server.db import telephony_tables as tt
from server.db.engine import Database
from server.db.types import utcnow
from server.sync.changes import ChangeWriter
from server.telephony.actions import record
from server.telephony.delivery import Outbox
from server.telephony.intake import to_event
from server.telephony.loader import load_world
from server.telephony.metrics import build
from server.telephony.model import Event
from tests.conftest import initialize_database
from tests.telephony.conftest import Centre
from tests.telephony.handlog import NOW, Q, raw_log, wire_log

TODAY = NOW.replace(hour=0, minute=0, second=0)


def fresh_db(path: Path) -> Database:
    db = Database(initialize_database(f"sqlite:///{path}"))
    with db.write() as conn:
        ChangeWriter(conn).insert("queue", {"id": Q, "name": "Q"})
    return db


def ingest_batches(db: Database, batches: list[list[Event]]) -> None:
    for batch in batches:
        with db.write() as conn:
            record(conn, batch, Outbox(postgres=False), now=utcnow(), default_region="GB")


def state_of(db: Database) -> tuple[Any, ...]:
    with db.read() as conn:
        contacts = sorted(tuple(r) for r in conn.execute(select(tt.tel_contact)))
        attempts = sorted(tuple(r) for r in conn.execute(select(tt.tel_attempt)))
        agents = sorted(
            (
                r.agent_id,
                r.state,
                r.reason,
                r.state_since,
                r.contact_id,
                r.chosen_state,
                tuple(r.queues),
                r.display_name,
            )
            for r in conn.execute(select(tt.tel_agent))
        )
        figures = build(load_world(conn, NOW, 1800, TODAY), NOW, 1800, TODAY)
    return contacts, attempts, agents, figures


def test_duplicated_shuffled_batches_give_the_same_state(tmp_path: Path) -> None:
    log = [to_event(e) for e in wire_log()]
    ordered = fresh_db(tmp_path / "ordered.db")
    ingest_batches(ordered, [log])
    expected = state_of(ordered)
    assert expected[3][0][0].rolling.service_level == pytest.approx(0.25)
    rng = random.Random(7)
    for trial in range(3):
        messy = log + rng.sample(log, len(log) // 2)
        rng.shuffle(messy)
        cuts = sorted(rng.sample(range(1, len(messy)), 6))
        batches = [messy[a:b] for a, b in zip([0, *cuts], [*cuts, len(messy)], strict=True)]
        db = fresh_db(tmp_path / f"messy-{trial}.db")
        ingest_batches(db, batches)
        assert state_of(db) == expected
        db.dispose()
    ordered.dispose()


def test_served_figures_equal_the_hand_computed_ones(centre: Centre) -> None:
    q1 = centre.demo.queue_ids[0]
    events = raw_log(q1)
    random.Random(3).shuffle(events)
    with centre.phone() as phone:
        assert phone.post("/api/v1/telephony/events", json={"events": events}).json()["accepted"] == len(
            events
        )
    sup = centre.user("supervisor")
    body = sup.get("/api/v1/queues", params={"as_of": NOW.isoformat()}).json()
    q = next(x for x in body["queues"] if x["queue_id"] == q1)
    # handlog.py: SL 1/(3+2-1), ASA 85/3, AHT 320, abandon 2/7, 2 waiting, oldest 120 s
    assert q["rolling"]["service_level"] == pytest.approx(0.25)
    assert q["rolling"]["asa_s"] == pytest.approx(85 / 3)
    assert q["rolling"]["aht_s"] == pytest.approx(320.0)
    assert q["rolling"]["abandon_rate"] == pytest.approx(2 / 7)
    assert q["rolling"]["occupancy"] == pytest.approx(960 / 1750)
    assert (q["contacts_waiting"], q["oldest_wait_s"]) == (2, 120.0)
    assert q["today"]["service_level"] == pytest.approx(0.4)
    board = sup.get("/api/v1/agents/board", params={"as_of": NOW.isoformat()}).json()
    a1 = next(a for a in board["agents"] if a["agent_id"] == "A1")
    assert (a1["state"], a1["display_name"], a1["time_in_state_s"]) == ("available", "Agent One", 205.0)
    assert sup.get("/api/v1/queues", params={"as_of": "yesterday"}).status_code == 422
