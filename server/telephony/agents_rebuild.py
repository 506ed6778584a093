"""Rebuilding the agents a batch touched (tel_agent).

An agent's chosen state, queues and name are each the latest `agent_state` event carrying them by
(event time, event id), so the fold is order-independent; its current state is then
`state.agent_at` over its open offers (tel_attempt) and the end of its last finished one. A real
user's queues and name come from the user directory.
"""

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Connection, delete, func, select

from server.db import tables as t
from server.db import telephony_tables as tt
from server.telephony.model import AgentNow, Attempt, ChosenState, Event
from server.telephony.rows import RowIO, db_time
from server.telephony.state import agent_at

CHUNK: Final = 500


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]


def _key(row: dict[str, Any], at: str, event_id: str) -> tuple[datetime, str] | None:
    if row[at] is None:
        return None
    return (db_time(row[at]), str(row[event_id]))


def _newest(current: tuple[datetime, str] | None, candidate: tuple[datetime, str]) -> bool:
    return current is None or candidate > current


def _blank(agent_id: str) -> dict[str, Any]:
    return {
        "agent_id": agent_id,
        "user_id": None,
        "display_name": agent_id,
        "chosen_state": "offline",
        "chosen_reason": None,
        "chosen_at": None,
        "chosen_event_id": None,
        "queues": [],
        "queues_at": None,
        "queues_event_id": None,
        "name_at": None,
        "name_event_id": None,
        "known_since": None,
    }


def _fold(row: dict[str, Any], e: Event) -> None:
    """Apply one `agent_state` event where it is the newest of its kind."""
    key = (e.at, e.event_id)
    if _newest(_key(row, "chosen_at", "chosen_event_id"), key):
        reason = e.payload.get("reason") if e.payload["state"] == "not_ready" else None
        row.update(
            chosen_state=e.payload["state"], chosen_reason=reason, chosen_at=e.at, chosen_event_id=e.event_id
        )
    if e.payload.get("queues") is not None and _newest(_key(row, "queues_at", "queues_event_id"), key):
        row.update(queues=list(e.payload["queues"]), queues_at=e.at, queues_event_id=e.event_id)
    if e.payload.get("name") and _newest(_key(row, "name_at", "name_event_id"), key):
        row.update(display_name=e.payload["name"], name_at=e.at, name_event_id=e.event_id)


def rebuild_agents(
    conn: Connection, agent_ids: Sequence[str], events: Sequence[Event], received_at: datetime
) -> dict[str, AgentNow]:
    """Fold the new events into the touched agents' rows and recompute their current state."""
    if not agent_ids:
        return {}
    ag, ta, u = tt.tel_agent, tt.tel_attempt, t.app_user
    rows: dict[str, dict[str, Any]] = {}
    users: dict[str, Any] = {}
    open_attempts: dict[str, list[Attempt]] = {a: [] for a in agent_ids}
    last_free: dict[str, datetime] = {}
    for chunk in _chunks(agent_ids):
        for stored in conn.execute(select(ag).where(ag.c.agent_id.in_(chunk))):
            rows[stored.agent_id] = dict(stored._mapping)
        for found in conn.execute(
            select(u.c.id, u.c.display_name, u.c.queue_ids).where(u.c.id.in_(chunk), u.c.deleted_at.is_(None))
        ):
            users[found.id] = found
        for r in conn.execute(select(ta).where(ta.c.agent_id.in_(chunk), ta.c.finished_at.is_(None))):
            open_attempts[r.agent_id].append(
                Attempt(
                    r.contact_id,
                    r.attempt,
                    r.agent_id,
                    r.queue_id,
                    db_time(r.routed_at),
                    db_time(r.answered_at) if r.answered_at is not None else None,
                    db_time(r.ended_at) if r.ended_at is not None else None,
                    None,
                )
            )
        for agent_id, finished in conn.execute(
            select(ta.c.agent_id, func.max(ta.c.finished_at))
            .where(ta.c.agent_id.in_(chunk))
            .group_by(ta.c.agent_id)
        ):
            if finished is not None:
                last_free[agent_id] = db_time(finished)
        conn.execute(delete(ag).where(ag.c.agent_id.in_(chunk)))
    by_agent: dict[str, list[Event]] = {}
    for e in events:
        by_agent.setdefault(e.agent_id or "", []).append(e)
    new_rows: list[dict[str, Any]] = []
    states: dict[str, AgentNow] = {}
    for agent_id in agent_ids:
        row = rows.get(agent_id) or _blank(agent_id)
        mine = by_agent.get(agent_id, [])
        known = [db_time(row["known_since"])] if row["known_since"] else []
        known += [e.at for e in mine] + [a.routed_at for a in open_attempts[agent_id]]
        known_since = min(known) if known else last_free.get(agent_id, received_at)
        row["known_since"] = known_since
        for e in mine:
            if e.type == "agent_state":
                _fold(row, e)
        user = users.get(agent_id)
        if user is not None:
            row.update(user_id=agent_id, display_name=user.display_name, queues=list(user.queue_ids))
        chosen = (
            ChosenState(
                db_time(row["chosen_at"]), row["chosen_event_id"], row["chosen_state"], row["chosen_reason"]
            )
            if row["chosen_at"] is not None
            else None
        )
        since = max(known_since, last_free.get(agent_id, known_since))
        now = agent_at(chosen, open_attempts[agent_id], None, since)
        row.update(state=now.state, reason=now.reason, state_since=now.since, contact_id=now.contact_id)
        states[agent_id] = now
        new_rows.append(row)
    RowIO(conn).insert(ag, new_rows)
    return states
