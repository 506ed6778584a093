"""The desktop's contact-centre endpoints (PROTOCOL.md, Contact centre).

- `GET /api/v1/queues` (agents and up): supervisors and admins get every queue and the agent
  board; an agent only the waiting count and oldest wait of their own queues. `as_of` replays the
  figures at an earlier instant.
- `GET /api/v1/agents/board` (supervisor, admin; 403 otherwise).
- `GET`/`PUT /api/v1/agents/me/state`: the signed-in agent's state; a change is recorded as an
  `agent_state` event in the same log as the phone system's.
- `POST /api/v1/contacts/{id}/answer|end|wrapup`: call controls of the reference phone system, only
  for the agent the contact is routed to; wrap-up ends ACW and logs the interaction (ChangeWriter).
- `POST /api/v1/broadcasts` (supervisor, admin): SSE `broadcast` to a queue's agents or everyone.
"""

import uuid
from datetime import datetime
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Path, Query
from sqlalchemy import Connection, insert, or_, select, update

from server.api.deps import State, has_role, require_role
from server.api.errors import ApiError
from server.auth.principal import Principal
from server.db import tables as t
from server.db import telephony_tables as tt
from server.db.types import iso, parse_timestamp, utcnow
from server.state import AppState
from server.sync.changes import ChangeWriter
from server.telephony.actions import record, server_event_id
from server.telephony.delivery import Outbox
from server.telephony.loader import queue_agent_ids
from server.telephony.metrics import DEFAULT_ROLLING_S
from server.telephony.model import Event
from server.telephony.snapshot import agent_board, agent_state_view, contact_view, queues_response
from wire.errors import ErrorResponse
from wire.telephony import (
    MAX_ID,
    SSE_BROADCAST,
    AgentBoard,
    AgentStateRequest,
    AgentStateView,
    Broadcast,
    BroadcastRequest,
    CallControlRequest,
    ContactView,
    QueuesResponse,
    WrapUpRequest,
)

router = APIRouter(prefix="/api/v1", tags=["contact centre"])

_ERR: Final[dict[int | str, dict[str, Any]]] = {
    c: {"model": ErrorResponse} for c in (400, 401, 403, 404, 409, 422)
}

Agent = Annotated[Principal, Depends(require_role("agent", "supervisor", "admin"))]
Supervisor = Annotated[Principal, Depends(require_role("supervisor", "admin"))]
ContactId = Annotated[str, Path(min_length=1, max_length=MAX_ID)]


def _is_supervisor(user: Principal) -> bool:
    return has_role(user, "supervisor") or has_role(user, "admin")


def _as_of(value: str | None) -> datetime:
    if value is None:
        return utcnow()
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        raise ApiError(
            "validation_failed", "as_of must be an ISO 8601 time with an offset", {"field": "as_of"}
        )
    return parse_timestamp(at)


@router.get("/queues", response_model=QueuesResponse, response_model_exclude_none=False, responses=_ERR)
def get_queues(
    user: Agent,
    state: State,
    as_of: Annotated[str | None, Query(max_length=40)] = None,
    window_s: Annotated[int, Query(ge=60, le=24 * 3600)] = DEFAULT_ROLLING_S,
) -> QueuesResponse:
    """Supervisors: every queue's figures and the board; agents: their own queues' waiting."""
    now = _as_of(as_of)
    with state.db.read() as conn:
        if _is_supervisor(user):
            return queues_response(conn, state.settings, now, window_s, full=True)
        return queues_response(conn, state.settings, now, window_s, full=False, own_queues=user.queue_ids)


@router.get("/agents/board", response_model=AgentBoard, responses=_ERR)
def get_board(
    _user: Supervisor, state: State, as_of: Annotated[str | None, Query(max_length=40)] = None
) -> AgentBoard:
    """The agent board: state, reason, time in state, current contact and queue, occupancy."""
    with state.db.read() as conn:
        return agent_board(conn, state.settings, _as_of(as_of), DEFAULT_ROLLING_S)


@router.get("/agents/me/state", response_model=AgentStateView, responses=_ERR)
def get_my_state(user: Agent, state: State) -> AgentStateView:
    with state.db.read() as conn:
        return agent_state_view(conn, user.id, user.queue_ids, utcnow())


def _record(state: AppState, conn: Connection, outbox: Outbox, events: list[Event]) -> None:
    result = record(conn, events, outbox, now=utcnow(), default_region=state.settings.default_region)
    if result.rejected:
        raise ApiError("validation_failed", result.rejected[0].reason)


@router.put("/agents/me/state", response_model=AgentStateView, responses=_ERR)
def put_my_state(body: AgentStateRequest, user: Agent, state: State) -> AgentStateView:
    """Available, not ready (with a reason) or offline; recorded as an `agent_state` event."""
    if body.state == "not_ready" and body.reason is None:
        raise ApiError("validation_failed", "not_ready needs a reason", {"field": "reason"})
    now = utcnow()
    event = Event(
        server_event_id(),
        "agent_state",
        now,
        agent_id=user.id,
        payload={
            "state": body.state,
            "reason": body.reason if body.state == "not_ready" else None,
            "queues": list(user.queue_ids),
            "name": user.display_name,
        },
    )
    outbox = Outbox(postgres=state.db.is_postgres)
    with state.db.write() as conn:
        _record(state, conn, outbox, [event])
        view = agent_state_view(conn, user.id, user.queue_ids, now)
    outbox.flush(state.events)
    return view


def _contact(conn: Connection, contact_id: str, user: Principal, statuses: tuple[str, ...]) -> Any:
    tc = tt.tel_contact
    row = conn.execute(select(tc).where(tc.c.contact_id == contact_id)).first()
    if row is None:
        raise ApiError("not_found", "no such contact", {"contact_id": contact_id})
    if row.agent_id != user.id:
        raise ApiError("forbidden", "this contact is not routed to you")
    if statuses and row.status not in statuses:
        raise ApiError("conflict", f"the contact is {row.status}", {"status": row.status})
    return row


def _control(
    state: AppState,
    user: Principal,
    contact_id: str,
    kind: str,
    statuses: tuple[str, ...],
    body: CallControlRequest | None,
) -> ContactView:
    outbox = Outbox(postgres=state.db.is_postgres)
    action = body.action_id if body is not None else None
    event_id = f"srv-{user.id}-{kind}-{action}" if action is not None else server_event_id()
    te = tt.telephony_event
    with state.db.write() as conn:
        retried = (
            action is not None and conn.execute(select(te.c.seq).where(te.c.event_id == event_id)).first()
        )
        _contact(conn, contact_id, user, () if retried else statuses)
        if not retried:
            event = Event(event_id, kind, utcnow(), contact_id=contact_id, agent_id=user.id)
            _record(state, conn, outbox, [event])
        row = conn.execute(select(tt.tel_contact).where(tt.tel_contact.c.contact_id == contact_id)).one()
        view = contact_view(row)
    outbox.flush(state.events)
    return view


@router.post("/contacts/{contact_id}/answer", response_model=ContactView, responses=_ERR)
def answer(
    contact_id: ContactId, user: Agent, state: State, body: CallControlRequest | None = None
) -> ContactView:
    """Answer the contact ringing for you (talk starts)."""
    return _control(state, user, contact_id, "contact_answered", ("routed",), body)


@router.post("/contacts/{contact_id}/end", response_model=ContactView, responses=_ERR)
def end(
    contact_id: ContactId, user: Agent, state: State, body: CallControlRequest | None = None
) -> ContactView:
    """End talk; after-contact work starts."""
    return _control(state, user, contact_id, "contact_ended", ("talking",), body)


def _check_disposition(conn: Connection, code: str, queue_id: str | None) -> None:
    d = t.disposition_code
    found = conn.execute(
        select(d.c.id).where(
            d.c.code == code,
            d.c.deleted_at.is_(None),
            or_(d.c.queue_id.is_(None), d.c.queue_id == queue_id),
        )
    ).first()
    if found is None:
        raise ApiError(
            "validation_failed",
            "the disposition code does not belong to the contact's queue",
            {"field": "disposition_code"},
        )


def _customer(conn: Connection, requested: str | None, matched: str | None) -> str | None:
    if requested is None:
        return matched
    c = t.customer
    if conn.execute(select(c.c.id).where(c.c.id == requested, c.c.deleted_at.is_(None))).first() is None:
        raise ApiError("validation_failed", "no such customer", {"field": "customer_id"})
    return requested


@router.post("/contacts/{contact_id}/wrapup", response_model=ContactView, responses=_ERR)
def wrapup(contact_id: ContactId, body: WrapUpRequest, user: Agent, state: State) -> ContactView:
    """End after-contact work and log the interaction on the customer's timeline.

    The customer is the one in the request (the screen pop's choice) or the caller's unique phone
    match; with neither (an unknown caller nobody created) ACW ends and no interaction is logged.
    """
    outbox = Outbox(postgres=state.db.is_postgres)
    now = utcnow()
    with state.db.write() as conn:
        row = _contact(conn, contact_id, user, ("acw",))
        _check_disposition(conn, body.disposition_code, row.queue_id)
        customer_id = _customer(conn, body.customer_id, row.customer_id)
        _record(
            state,
            conn,
            outbox,
            [Event(server_event_id(), "acw_ended", now, contact_id=contact_id, agent_id=user.id)],
        )
        interaction_id = None
        if customer_id is not None:
            interaction_id = str(uuid.uuid4())
            talk = parse_timestamp(row.ended_at) - parse_timestamp(row.answered_at)
            writer = ChangeWriter(conn)
            writer.insert(
                "interaction",
                {
                    "id": interaction_id,
                    "customer_id": customer_id,
                    "channel": row.channel,
                    "direction": "inbound",
                    "occurred_at": row.answered_at,
                    "summary": body.note,
                    "agent_id": user.id,
                    "agent_name": user.display_name,
                    "outcome": body.disposition_code,
                    "duration_s": round(talk.total_seconds()),
                    "queue_id": row.queue_id,
                },
            )
            writer.notify()
            tc = tt.tel_contact
            conn.execute(
                update(tc).where(tc.c.contact_id == contact_id).values(interaction_id=interaction_id)
            )
        view = contact_view(
            conn.execute(select(tt.tel_contact).where(tt.tel_contact.c.contact_id == contact_id)).one()
        )
    outbox.flush(state.events)
    return view


@router.post("/broadcasts", response_model=Broadcast, responses=_ERR)
def post_broadcast(body: BroadcastRequest, user: Supervisor, state: State) -> Broadcast:
    """Send a message to one queue's agents (or everyone); SSE `broadcast`."""
    outbox = Outbox(postgres=state.db.is_postgres)
    sent = Broadcast(
        id=str(uuid.uuid4()),
        queue_id=body.queue_id,
        text=body.text,
        sender=user.display_name,
        at=iso(utcnow()),
    )
    with state.db.write() as conn:
        if body.queue_id is not None:
            q = t.queue
            if (
                conn.execute(select(q.c.id).where(q.c.id == body.queue_id, q.c.deleted_at.is_(None))).first()
                is None
            ):
                raise ApiError("validation_failed", "no such queue", {"field": "queue_id"})
        conn.execute(
            insert(tt.broadcast).values(
                id=sent.id,
                queue_id=sent.queue_id,
                text=sent.text,
                sender_id=user.id,
                sender=sent.sender,
                at=sent.at,
            )
        )
        audience = queue_agent_ids(conn, body.queue_id)
        if audience is not None:
            audience = audience | {user.id}
        outbox.add(conn, SSE_BROADCAST, sent.model_dump(mode="json"), audience)
    outbox.flush(state.events)
    return sent
