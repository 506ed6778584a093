"""The wire answers: queue panel, agent board, the phone system's view, a contact, an agent's state."""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from server.db import telephony_tables as tt
from server.db.types import iso, parse_timestamp
from server.telephony import metrics
from server.telephony.loader import load_world, today_start
from server.telephony.model import FINAL_STATUSES
from wire.telephony import (
    AgentBoard,
    AgentBoardRow,
    AgentStateView,
    ContactView,
    QueueSnapshot,
    QueuesResponse,
    TelephonyState,
)


def queues_response(
    conn: Connection,
    settings: Any,
    now: datetime,
    rolling_s: int,
    *,
    full: bool,
    own_queues: Iterable[str] = (),
) -> QueuesResponse:
    """GET /api/v1/queues: every queue and the board for supervisors; own queues' waiting for agents."""
    world = load_world(conn, now, rolling_s, today_start(now, settings))
    if not full:
        return QueuesResponse(
            at=iso(now), rolling_window_s=rolling_s, waiting=metrics.waiting_for(world, now, own_queues)
        )
    queues, agents = metrics.build(world, now, rolling_s, today_start(now, settings))
    return QueuesResponse(at=iso(now), rolling_window_s=rolling_s, queues=queues, agents=agents)


def queue_snapshot(conn: Connection, settings: Any, now: datetime, rolling_s: int) -> QueueSnapshot:
    """SSE `queue_snapshot`: the supervisor's full picture."""
    world = load_world(conn, now, rolling_s, today_start(now, settings))
    queues, agents = metrics.build(world, now, rolling_s, today_start(now, settings))
    return QueueSnapshot(at=iso(now), rolling_window_s=rolling_s, queues=queues, agents=agents)


def agent_board(conn: Connection, settings: Any, now: datetime, rolling_s: int) -> AgentBoard:
    full = queues_response(conn, settings, now, rolling_s, full=True)
    return AgentBoard(at=full.at, agents=full.agents or [])


def contact_view(row: Any) -> ContactView:
    return ContactView(
        contact_id=row.contact_id,
        queue_id=row.queue_id or "",
        status=row.status,
        phone=row.phone,
        agent_id=row.agent_id,
        offered_at=row.offered_at,
        queued_at=row.queued_at,
        answered_at=row.answered_at,
        ended_at=row.ended_at,
        interaction_id=row.interaction_id,
    )


def stored_agent_row(row: Any, now: datetime, queue_of: dict[str, str | None]) -> AgentBoardRow:
    """An agent as intake left it (no occupancy: that needs the windows)."""
    since = parse_timestamp(row.state_since)
    return AgentBoardRow(
        agent_id=row.agent_id,
        display_name=row.display_name,
        state=row.state,
        reason=row.reason,
        state_since=iso(since),
        time_in_state_s=max(0.0, (now - since).total_seconds()),
        contact_id=row.contact_id,
        queue_id=queue_of.get(row.contact_id) if row.contact_id else None,
        queues=list(row.queues),
    )


def telephony_state(conn: Connection, now: datetime) -> TelephonyState:
    """GET /api/v1/telephony/state: every agent with its state and queues, and the contacts in flight."""
    tc, ag = tt.tel_contact, tt.tel_agent
    contacts = list(
        conn.execute(select(tc).where(tc.c.status.not_in(FINAL_STATUSES)).order_by(tc.c.offered_at))
    )
    queue_of = {c.contact_id: c.queue_id for c in contacts}
    agents = [stored_agent_row(r, now, queue_of) for r in conn.execute(select(ag).order_by(ag.c.agent_id))]
    return TelephonyState(at=iso(now), agents=agents, contacts=[contact_view(c) for c in contacts])


def agent_state_view(conn: Connection, agent_id: str, queues: Iterable[str], now: datetime) -> AgentStateView:
    """The signed-in agent's state (offline since now when the server never heard of them)."""
    ag = tt.tel_agent
    row = conn.execute(select(ag).where(ag.c.agent_id == agent_id)).first()
    if row is None:
        return AgentStateView(agent_id=agent_id, state="offline", state_since=iso(now), queues=list(queues))
    return AgentStateView(
        agent_id=agent_id,
        state=row.state,
        reason=row.reason,
        state_since=row.state_since,
        contact_id=row.contact_id,
        queues=list(queues),
    )
