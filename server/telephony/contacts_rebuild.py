"""Rebuilding the contacts a batch touched (tel_contact, tel_attempt) from ALL their events.

The caller's number is read as E.164 and matched to the one customer holding it when the contact
is offered to a real (signed-in) agent: the desktop's screen pop and the wrap-up's default
customer need it; contacts only the phone system's own agents handle never do, and reading a
number is the dearest step of intake. Once read, the reading is kept while the number stays.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from sqlalchemy import Connection, delete, select

from server.db import tables as t
from server.db import telephony_tables as tt
from server.telephony.model import Attempt, Contact, Event
from server.telephony.rows import RowIO, db_time, json_value
from server.telephony.state import derive_contact
from wire.phones import normalize_phone

CHUNK: Final = 500


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]


@dataclass
class Rebuilt:
    contacts: dict[str, Contact] = field(default_factory=dict)
    attempts: dict[str, list[Attempt]] = field(default_factory=dict)
    #: every agent a touched contact was ever offered to (before or after this batch)
    agents: dict[str, set[str]] = field(default_factory=dict)
    #: the real users among those agents
    real: set[str] = field(default_factory=set)


def load_events(conn: Connection, contact_ids: Sequence[str]) -> dict[str, list[Event]]:
    """Every stored event of these contacts."""
    out: dict[str, list[Event]] = {c: [] for c in contact_ids}
    te = tt.telephony_event
    for chunk in _chunks(contact_ids):
        if conn.dialect.name == "sqlite":
            marks = ", ".join("?" for _ in chunk)
            rows: Any = conn.exec_driver_sql(
                "SELECT event_id, type, at, contact_id, agent_id, payload FROM telephony_event "
                f"WHERE contact_id IN ({marks})",
                tuple(chunk),
            )
            for event_id, kind, at, contact_id, agent_id, payload in rows:
                out[contact_id].append(
                    Event(event_id, kind, db_time(at), contact_id, agent_id, json_value(payload))
                )
            continue
        query = select(te.c.event_id, te.c.type, te.c.at, te.c.contact_id, te.c.agent_id, te.c.payload)
        for r in conn.execute(query.where(te.c.contact_id.in_(chunk))):
            out[r.contact_id].append(
                Event(r.event_id, r.type, db_time(r.at), r.contact_id, r.agent_id, r.payload)
            )
    return out


def _match_customers(conn: Connection, numbers: set[str]) -> dict[str, str]:
    """E.164 number → the one customer with that phone contact point (numbers with several: absent)."""
    cp = t.contact_point
    found: dict[str, set[str]] = {}
    for chunk in _chunks(sorted(numbers)):
        query = select(cp.c.value, cp.c.customer_id).where(
            cp.c.kind == "phone", cp.c.value.in_(chunk), cp.c.deleted_at.is_(None)
        )
        for value, customer in conn.execute(query):
            found.setdefault(value, set()).add(customer)
    return {n: next(iter(c)) for n, c in found.items() if len(c) == 1}


def real_users(conn: Connection, ids: set[str]) -> set[str]:
    u = t.app_user
    found: set[str] = set()
    for chunk in _chunks(sorted(ids)):
        found |= set(conn.execute(select(u.c.id).where(u.c.id.in_(chunk))).scalars())
    return found


def rebuild_contacts(conn: Connection, contact_ids: Sequence[str], default_region: str) -> Rebuilt:
    """Replace the touched contacts' rows and offers with the replay of all their events."""
    tc, ta = tt.tel_contact, tt.tel_attempt
    out = Rebuilt()
    if not contact_ids:
        return out
    events = load_events(conn, contact_ids)
    previous: dict[str, Any] = {}
    for chunk in _chunks(contact_ids):
        query = select(tc.c.contact_id, tc.c.phone, tc.c.phone_e164, tc.c.customer_id, tc.c.interaction_id)
        for row in conn.execute(query.where(tc.c.contact_id.in_(chunk))):
            previous[row.contact_id] = row
        for contact_id, agent_id in conn.execute(
            select(ta.c.contact_id, ta.c.agent_id).where(ta.c.contact_id.in_(chunk))
        ):
            out.agents.setdefault(contact_id, set()).add(agent_id)
        conn.execute(delete(ta).where(ta.c.contact_id.in_(chunk)))
        conn.execute(delete(tc).where(tc.c.contact_id.in_(chunk)))
    for contact_id in contact_ids:
        made = derive_contact(contact_id, events[contact_id])
        if made is not None:
            out.contacts[contact_id], out.attempts[contact_id] = made
            out.agents.setdefault(contact_id, set()).update(a.agent_id for a in made[1])
    everyone: set[str] = set()
    for names in out.agents.values():
        everyone |= names
    out.real = real_users(conn, everyone) if everyone else set()
    readings: dict[str, tuple[str | None, str | None]] = {}
    lookup: set[str] = set()
    for contact_id, c in out.contacts.items():
        old = previous.get(contact_id)
        if old is not None and old.phone == c.phone and (old.phone_e164 is not None or c.phone is None):
            readings[contact_id] = (old.phone_e164, old.customer_id)
        elif c.phone and any(a.agent_id in out.real for a in out.attempts[contact_id]):
            e164 = normalize_phone(c.phone, default_region)
            readings[contact_id] = (e164, None)
            if e164 is not None:
                lookup.add(e164)
        else:
            readings[contact_id] = (None, None)
    matches = _match_customers(conn, lookup) if lookup else {}
    contact_rows: list[dict[str, Any]] = []
    attempt_rows: list[dict[str, Any]] = []
    for contact_id, c in out.contacts.items():
        e164, customer = readings[contact_id]
        if e164 is not None and customer is None:
            customer = matches.get(e164)
        old = previous.get(contact_id)
        contact_rows.append(
            {
                "contact_id": contact_id,
                "queue_id": c.queue_id,
                "channel": c.channel,
                "phone": c.phone,
                "phone_e164": e164,
                "customer_id": customer,
                "status": c.status,
                "offered_at": c.offered_at,
                "queued_at": c.queued_at,
                "routed_at": c.routed_at,
                "answered_at": c.answered_at,
                "ended_at": c.ended_at,
                "acw_ended_at": c.acw_ended_at,
                "abandoned_at": c.abandoned_at,
                "abandoned": c.abandoned,
                "agent_id": c.agent_id,
                "ring_attempts": c.ring_attempts,
                "interaction_id": old.interaction_id if old is not None else None,
                "last_event_at": c.last_event_at,
            }
        )
        attempt_rows += [
            {
                "contact_id": a.contact_id,
                "attempt": a.attempt,
                "agent_id": a.agent_id,
                "queue_id": a.queue_id,
                "routed_at": a.routed_at,
                "answered_at": a.answered_at,
                "ended_at": a.ended_at,
                "finished_at": a.finished_at,
            }
            for a in out.attempts[contact_id]
        ]
    rows = RowIO(conn)
    rows.insert(tc, contact_rows)
    rows.insert(ta, attempt_rows)
    return out
