"""Recording telephony events and telling the desktops: the one path for the phone system's
batches and for the events the server makes itself (agent state, call controls, wrap-up).

`record` ingests inside the caller's write transaction and queues the live events: to the agent a
contact was just routed to `incoming_contact`, to every agent the touched contacts concern
`contact_update`, to a real agent whose state changed `agent_state`.
"""

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, select

from server.db import tables as t
from server.db import telephony_tables as tt
from server.db.types import iso
from server.telephony.contacts_rebuild import real_users
from server.telephony.delivery import Outbox
from server.telephony.intake import CHUNK, IngestResult, ingest
from server.telephony.model import Event
from server.telephony.snapshot import agent_state_view, contact_view
from wire.telephony import (
    DEFAULT_RING_TIMEOUT_S,
    SSE_AGENT_STATE,
    SSE_CONTACT_UPDATE,
    SSE_INCOMING_CONTACT,
    IncomingContact,
)


def server_event_id() -> str:
    """The id of an event the server records itself (never clashes with a phone system's)."""
    return f"srv-{uuid.uuid4()}"


def record(
    conn: Connection, events: Sequence[Event], outbox: Outbox, *, now: datetime, default_region: str
) -> IngestResult:
    """Ingest `events` in this transaction and queue the live events they cause."""
    result = ingest(conn, events, received_at=now, default_region=default_region)
    if not result.accepted:
        return result
    users = result.real_agents | real_users(conn, set(result.agents) - result.real_agents)
    if not users:
        return result
    tc, q = tt.tel_contact, t.queue
    touched = sorted(result.contacts)
    rows = {}
    for i in range(0, len(touched), CHUNK):
        query = (
            select(tc, q.c.name.label("queue_name"))
            .select_from(tc.outerjoin(q, q.c.id == tc.c.queue_id))
            .where(tc.c.contact_id.in_(touched[i : i + CHUNK]))
        )
        rows.update({r.contact_id: r for r in conn.execute(query)})
    timeouts = {e.contact_id: e.payload.get("ring_timeout_s") for e in events if e.type == "contact_routed"}
    for contact, agent_id in result.routed:
        row = rows.get(contact.contact_id)
        if agent_id not in users or row is None or contact.routed_at is None:
            continue
        incoming = IncomingContact(
            contact_id=contact.contact_id,
            queue_id=row.queue_id or "",
            queue_name=row.queue_name or "",
            phone=row.phone,
            phone_e164=row.phone_e164,
            routed_at=iso(contact.routed_at),
            ring_timeout_s=float(timeouts.get(contact.contact_id) or DEFAULT_RING_TIMEOUT_S),
        )
        outbox.add(conn, SSE_INCOMING_CONTACT, incoming.model_dump(mode="json"), frozenset({agent_id}))
    for contact_id, agents in result.contact_agents.items():
        audience = frozenset(agents & users)
        if audience and contact_id in rows:
            outbox.add(
                conn, SSE_CONTACT_UPDATE, contact_view(rows[contact_id]).model_dump(mode="json"), audience
            )
    for agent_id in sorted(set(result.agents) & users):
        queues = conn.execute(select(t.app_user.c.queue_ids).where(t.app_user.c.id == agent_id)).scalar_one()
        view = agent_state_view(conn, agent_id, queues, now)
        outbox.add(conn, SSE_AGENT_STATE, view.model_dump(mode="json"), frozenset({agent_id}))
    return result
