"""The telephony write path: dedupe, store, and rebuild the state of what a batch touched.

One call of `ingest` runs inside one write transaction. Events already stored (same `event_id`)
or repeated within the batch are counted as duplicates; events that make no sense (an unknown
queue, not ready without a reason) are rejected with a reason and not stored. The contacts the new
events touch are replayed from ALL their stored events (`contacts_rebuild`), so duplicates and
reordering give the same state; the agents they touch are folded order-independently
(`agents_rebuild`).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from sqlalchemy import Connection, select

from server.db import tables as t
from server.db import telephony_tables as tt
from server.db.types import parse_timestamp
from server.telephony.agents_rebuild import rebuild_agents
from server.telephony.contacts_rebuild import CHUNK, rebuild_contacts
from server.telephony.model import AgentNow, Contact, Event
from server.telephony.rows import RowIO
from wire.telephony import EventRejection, TelephonyEvent

_COMMON: Final = {"event_id", "at", "type", "contact_id", "agent_id"}

__all__ = ["CHUNK", "BadTimestamp", "IngestResult", "ingest", "to_event"]


class BadTimestamp(ValueError):
    """An event's `at` is not an ISO 8601 time with an offset."""

    def __init__(self, event_id: str, value: str) -> None:
        super().__init__(f"event {event_id!r}: `at` {value!r} is not an ISO 8601 time with an offset")
        self.event_id = event_id


def to_event(wire: TelephonyEvent) -> Event:
    """The stored form of a validated wire event; BadTimestamp when `at` cannot be read."""
    try:
        at = datetime.fromisoformat(wire.at)
    except ValueError:
        raise BadTimestamp(wire.event_id, wire.at) from None
    if at.tzinfo is None:
        raise BadTimestamp(wire.event_id, wire.at)
    return Event(
        event_id=wire.event_id,
        type=wire.type,
        at=parse_timestamp(at),
        contact_id=getattr(wire, "contact_id", None),
        agent_id=getattr(wire, "agent_id", None),
        payload=wire.model_dump(mode="json", exclude=_COMMON),
    )


@dataclass
class IngestResult:
    accepted: int = 0
    duplicates: int = 0
    rejected: list[EventRejection] = field(default_factory=list)
    #: the touched contacts as they are now, and every agent they were offered to
    contacts: dict[str, Contact] = field(default_factory=dict)
    contact_agents: dict[str, set[str]] = field(default_factory=dict)
    #: (contact, agent) of new `contact_routed` events whose offer is the live one
    routed: list[tuple[Contact, str]] = field(default_factory=list)
    agents: dict[str, AgentNow] = field(default_factory=dict)
    #: the real users among the agents concerned
    real_agents: set[str] = field(default_factory=set)


def _reject(events: Iterable[Event], queues: set[str]) -> tuple[list[Event], list[EventRejection]]:
    kept: list[Event] = []
    rejected: list[EventRejection] = []
    for e in events:
        queue = e.payload.get("queue_id")
        listed = e.payload.get("queues") or ()
        if queue is not None and queue not in queues:
            rejected.append(EventRejection(event_id=e.event_id, reason=f"unknown queue {queue!r}"))
        elif e.type == "agent_state" and any(q not in queues for q in listed):
            unknown = sorted(set(listed) - queues)
            rejected.append(EventRejection(event_id=e.event_id, reason=f"unknown queues {unknown!r}"))
        elif (
            e.type == "agent_state" and e.payload.get("state") == "not_ready" and not e.payload.get("reason")
        ):
            rejected.append(EventRejection(event_id=e.event_id, reason="not_ready needs a reason"))
        else:
            kept.append(e)
    return kept, rejected


def _unseen(conn: Connection, events: Sequence[Event], result: IngestResult) -> dict[str, Event]:
    """The batch without events seen before, in it or in the log (counted as duplicates)."""
    unique: dict[str, Event] = {}
    for e in events:
        if e.event_id in unique:
            result.duplicates += 1
        else:
            unique[e.event_id] = e
    ids = list(unique)
    te = tt.telephony_event
    for i in range(0, len(ids), CHUNK):
        for seen in conn.execute(
            select(te.c.event_id).where(te.c.event_id.in_(ids[i : i + CHUNK]))
        ).scalars():
            if unique.pop(seen, None) is not None:
                result.duplicates += 1
    return unique


def ingest(
    conn: Connection, events: Sequence[Event], *, received_at: datetime, default_region: str
) -> IngestResult:
    """Store the new events of a batch and rebuild the contacts and agents they touch."""
    result = IngestResult()
    unique = _unseen(conn, events, result)
    queues = set(conn.execute(select(t.queue.c.id).where(t.queue.c.deleted_at.is_(None))).scalars())
    fresh, result.rejected = _reject(unique.values(), queues)
    result.accepted = len(fresh)
    if not fresh:
        return result
    RowIO(conn).insert(
        tt.telephony_event,
        [
            {
                "event_id": e.event_id,
                "type": e.type,
                "at": e.at,
                "contact_id": e.contact_id,
                "agent_id": e.agent_id,
                "payload": e.payload,
                "received_at": received_at,
            }
            for e in fresh
        ],
    )
    rebuilt = rebuild_contacts(conn, sorted({e.contact_id for e in fresh if e.contact_id}), default_region)
    result.contacts, result.contact_agents, result.real_agents = (
        rebuilt.contacts,
        rebuilt.agents,
        rebuilt.real,
    )
    for e in fresh:
        if e.type != "contact_routed" or e.contact_id not in rebuilt.contacts:
            continue
        c, offers = rebuilt.contacts[e.contact_id], rebuilt.attempts[e.contact_id]
        if (
            c.status == "routed"
            and offers
            and offers[-1].agent_id == e.agent_id
            and offers[-1].routed_at == e.at
        ):
            result.routed.append((c, e.agent_id or ""))
    agents = {e.agent_id for e in fresh if e.agent_id is not None}
    for names in rebuilt.agents.values():
        agents |= names
    result.agents = rebuild_agents(conn, sorted(agents), [e for e in fresh if e.agent_id], received_at)
    return result
