"""Telephony ingest rate: phone-system events/s through `POST /api/v1/telephony/events` on SQLite.

A fresh SQLite database (`initialize`, five phone queues, an integration key), a live uvicorn
server in a thread of this process (tests/support/live.py), then one client posts a day's worth of
contact lifecycles in batches of `--batch` (500) events: `--agents` simulated agents announce
themselves, and `--contacts` contacts each go offered → queued → routed → answered → ended →
acw_ended (6 events), interleaved across contacts the way a phone system reports a busy floor.
Every event must be accepted; the server dedupes, stores the log and rebuilds each touched contact
and agent per batch.

Baseline, same run: the same event rows inserted with one raw `executemany` per batch into the
`telephony_event` table of another fresh database (no HTTP, no dedupe, no derived state): the
storage floor. Also printed: the intake alone (`server.telephony.actions.record`, one transaction
per batch, no HTTP) into a third fresh database, to show what HTTP and validation add. Prints the
rates, the ratio and the goal line (≥ 5,000 events/s). No SSE client is connected, so the
`queue_snapshot` publisher stays idle (its cost is bounded separately: at most a fifth of the time).

Run: `.venv/bin/python bench/telephony_ingest.py [--contacts N] [--agents A] [--batch B]`
"""

import argparse
import json
import random
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from server.auth.tokens import hash_integration_key, new_integration_key  # noqa: E402
from server.db import tables as t  # noqa: E402
from server.db import telephony_tables as tt  # noqa: E402
from server.db.bootstrap import initialize  # noqa: E402
from server.db.engine import Database  # noqa: E402
from server.db.types import iso, utcnow  # noqa: E402
from server.sync.changes import ChangeWriter  # noqa: E402
from server.telephony.actions import record  # noqa: E402
from server.telephony.delivery import Outbox  # noqa: E402
from server.telephony.intake import to_event  # noqa: E402
from tests.support.live import start_live_server  # noqa: E402
from wire.telephony import EventBatch  # noqa: E402

GOAL = 5_000.0


def prepare(url: str) -> tuple[Database, list[str], str]:
    db = Database(url)
    initialize(db)
    queues = [str(uuid.uuid4()) for _ in range(5)]
    key = new_integration_key()
    with db.write() as conn:
        w = ChangeWriter(conn)
        for n, q in enumerate(queues):
            w.insert("queue", {"id": q, "name": f"Queue {n}"})
        conn.execute(
            insert(t.integration_key).values(
                id=str(uuid.uuid4()),
                name="bench",
                key_hash=hash_integration_key(key),
                created_at=iso(utcnow()),
            )
        )
    return db, queues, key


def day(queues: list[str], contacts: int, agents: int, seed: int = 1) -> list[dict[str, Any]]:
    """Agents' sign-ins, then contact lifecycles interleaved in time order (as a floor reports them)."""
    rng = random.Random(seed)
    start = datetime.now(UTC) - timedelta(hours=8)
    events: list[tuple[datetime, dict[str, Any]]] = []

    def add(when: datetime, kind: str, **fields: Any) -> None:
        events.append(
            (when, {"type": kind, "event_id": f"b-{len(events)}", "at": when.isoformat(), **fields})
        )

    for a in range(agents):
        add(start, "agent_state", agent_id=f"sim-{a}", state="available", queues=queues, name=f"Sim {a}")
    for c in range(contacts):
        t0 = start + timedelta(seconds=rng.uniform(0, 8 * 3600))
        cid = f"c-{c}"
        q = rng.choice(queues)
        agent = f"sim-{rng.randrange(agents)}"
        wait, talk, acw = rng.expovariate(1 / 20), rng.expovariate(1 / 240), rng.expovariate(1 / 45)
        add(t0, "contact_offered", contact_id=cid, queue_id=q, phone=f"+4420794{rng.randrange(10**5):05d}")
        add(t0, "contact_queued", contact_id=cid, queue_id=q)
        add(t0 + timedelta(seconds=wait), "contact_routed", contact_id=cid, agent_id=agent)
        add(t0 + timedelta(seconds=wait + 5), "contact_answered", contact_id=cid, agent_id=agent)
        add(t0 + timedelta(seconds=wait + 5 + talk), "contact_ended", contact_id=cid)
        add(t0 + timedelta(seconds=wait + 5 + talk + acw), "acw_ended", contact_id=cid, agent_id=agent)
    events.sort(key=lambda e: e[0])
    return [e for _, e in events]


def through_api(url: str, key: str, events: list[dict[str, Any]], batch: int) -> float:
    bodies = [json.dumps({"events": events[i : i + batch]}).encode() for i in range(0, len(events), batch)]
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    with httpx.Client(base_url=url, timeout=600, headers=headers) as http:
        began = time.perf_counter()
        for body in bodies:
            resp = http.post("/api/v1/telephony/events", content=body)
            resp.raise_for_status()
            result = resp.json()
            if result["rejected"] or result["duplicates"]:
                raise SystemExit(f"unexpected result: {result}")
        return len(events) / (time.perf_counter() - began)


def raw_executemany(db: Database, events: list[dict[str, Any]], batch: int) -> float:
    received = iso(utcnow())
    began = time.perf_counter()
    for i in range(0, len(events), batch):
        rows = [
            {
                "event_id": e["event_id"],
                "type": e["type"],
                "at": e["at"],
                "contact_id": e.get("contact_id"),
                "agent_id": e.get("agent_id"),
                "payload": {
                    k: v
                    for k, v in e.items()
                    if k not in ("event_id", "type", "at", "contact_id", "agent_id")
                },
                "received_at": received,
            }
            for e in events[i : i + batch]
        ]
        with db.write() as conn:
            conn.execute(insert(tt.telephony_event), rows)
    return len(events) / (time.perf_counter() - began)


def intake_alone(db: Database, events: list[dict[str, Any]], batch: int) -> float:
    batches = [
        EventBatch.model_validate({"events": events[i : i + batch]}) for i in range(0, len(events), batch)
    ]
    began = time.perf_counter()
    for b in batches:
        with db.write() as conn:
            record(
                conn,
                [to_event(e) for e in b.events],
                Outbox(postgres=False),
                now=utcnow(),
                default_region="GB",
            )
    return len(events) / (time.perf_counter() - began)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--agents", type=int, default=60)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()
    with TemporaryDirectory() as tmp:
        db, queues, key = prepare(f"sqlite:///{Path(tmp) / 'server.db'}")
        events = day(queues, args.contacts, args.agents)
        server = start_live_server(db.url)
        try:
            api_rate = through_api(server.url, key, events, args.batch)
        finally:
            server.stop()
            db.dispose()
        floor_db, _, _ = prepare(f"sqlite:///{Path(tmp) / 'floor.db'}")
        try:
            floor_rate = raw_executemany(floor_db, events, args.batch)
        finally:
            floor_db.dispose()
        alone_db, alone_queues, _ = prepare(f"sqlite:///{Path(tmp) / 'alone.db'}")
        try:
            alone_rate = intake_alone(alone_db, day(alone_queues, args.contacts, args.agents), args.batch)
        finally:
            alone_db.dispose()
    print(
        f"events: {len(events):,} in batches of {args.batch} ({args.contacts:,} contacts, {args.agents} agents)"
    )
    print(f"POST /api/v1/telephony/events over loopback: {api_rate:,.0f} events/s")
    print(f"intake alone (record(), no HTTP): {alone_rate:,.0f} events/s")
    print(f"baseline, raw executemany into telephony_event: {floor_rate:,.0f} events/s")
    print(f"ratio api / baseline: {api_rate / floor_rate:.2f}")
    print(f"goal ≥ {GOAL:,.0f} events/s: {'met' if api_rate >= GOAL else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
