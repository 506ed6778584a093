"""Reads what the metrics need from the database: queues, contacts, offers and agents.

`load_world` takes every contact still open or touched since the earliest window start, every
offer overlapping the windows, and each agent's chosen states from the one in force at the window
start on. Rows whose events lie after `now` are read too: the pure functions ignore what happens
after `now`, which is how `as_of` replays the past.
"""

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, and_, func, or_, select

from server.config import ServerSettings
from server.db import tables as t
from server.db import telephony_tables as tt
from server.db.types import parse_timestamp
from server.telephony.metrics import AgentInfo, QueueInfo, World, day_start
from server.telephony.model import FINAL_STATUSES, Attempt, ChosenState, Contact
from server.telephony.rows import db_time, raw_columns


def _dt(value: str | datetime | None) -> datetime | None:
    return db_time(value) if value is not None else None


def zone_of(settings: ServerSettings) -> ZoneInfo:
    """The server's time zone for "today" (the `time_zone` setting, checked when it was read)."""
    return ZoneInfo(settings.time_zone)


def contact_from_row(row: Any) -> Contact:
    return Contact(
        contact_id=row.contact_id,
        queue_id=row.queue_id,
        offered_at=db_time(row.offered_at),
        last_event_at=db_time(row.last_event_at),
        status=row.status,
        channel=row.channel,
        phone=row.phone,
        queued_at=_dt(row.queued_at),
        routed_at=_dt(row.routed_at),
        answered_at=_dt(row.answered_at),
        ended_at=_dt(row.ended_at),
        acw_ended_at=_dt(row.acw_ended_at),
        abandoned_at=_dt(row.abandoned_at),
        abandoned=bool(row.abandoned),
        agent_id=row.agent_id,
        ring_attempts=row.ring_attempts,
    )


def attempt_from_row(row: Any) -> Attempt:
    return Attempt(
        contact_id=row.contact_id,
        attempt=row.attempt,
        agent_id=row.agent_id,
        queue_id=row.queue_id,
        routed_at=db_time(row.routed_at),
        answered_at=_dt(row.answered_at),
        ended_at=_dt(row.ended_at),
        finished_at=_dt(row.finished_at),
    )


def load_queues(conn: Connection) -> list[QueueInfo]:
    q, th = t.queue, tt.queue_threshold
    rows = conn.execute(
        select(q.c.id, q.c.name, q.c.sl_threshold_s, q.c.sl_target, th)
        .select_from(q.outerjoin(th, th.c.queue_id == q.c.id))
        .where(q.c.deleted_at.is_(None))
        .order_by(q.c.name, q.c.id)
    )
    out = []
    for row in rows:
        m = row._mapping
        override = {
            k: m[k]
            for k in ("service_level_below", "oldest_wait_above_s", "waiting_above", "abandon_rate_above")
        }
        out.append(QueueInfo(m["id"], m["name"], int(m["sl_threshold_s"]), float(m["sl_target"]), override))
    return out


def _chosen(conn: Connection, start: datetime) -> dict[str, list[ChosenState]]:
    """Each agent's chosen states since `start`, plus the one in force at `start`."""
    te = tt.telephony_event
    kind = te.c.type == "agent_state"
    before = (
        select(te.c.agent_id, func.max(te.c.at).label("at"))
        .where(kind, te.c.at < start)
        .group_by(te.c.agent_id)
        .subquery()
    )
    query = select(te.c.agent_id, te.c.event_id, te.c.at, te.c.payload).where(
        kind,
        or_(
            te.c.at >= start,
            te.c.seq.in_(
                select(te.c.seq)
                .join(before, and_(te.c.agent_id == before.c.agent_id, te.c.at == before.c.at))
                .where(kind)
            ),
        ),
    )
    out: dict[str, list[ChosenState]] = {}
    for row in conn.execute(query):
        p = row.payload
        out.setdefault(row.agent_id, []).append(
            ChosenState(parse_timestamp(row.at), row.event_id, p["state"], p.get("reason"))
        )
    return out


def load_world(conn: Connection, now: datetime, rolling_s: int, today_since: datetime) -> World:
    """The queues, contacts, offers and agents the windows ending at `now` need."""
    start = min(today_since, now - timedelta(seconds=rolling_s))
    tc, ta, ag, u = tt.tel_contact, tt.tel_attempt, tt.tel_agent, t.app_user
    contacts = [
        contact_from_row(r)
        for r in conn.execute(
            select(*raw_columns(tc)).where(
                or_(tc.c.last_event_at >= start, tc.c.offered_at >= start, tc.c.status.not_in(FINAL_STATUSES))
            )
        )
    ]
    attempts: dict[str, list[Attempt]] = {}
    by_agent: dict[str, list[Attempt]] = {}
    for r in conn.execute(
        select(*raw_columns(ta)).where(or_(ta.c.finished_at.is_(None), ta.c.finished_at >= start))
    ):
        a = attempt_from_row(r)
        attempts.setdefault(a.contact_id, []).append(a)
        by_agent.setdefault(a.agent_id, []).append(a)
    chosen = _chosen(conn, start)
    user_queues = {
        r.id: tuple(r.queue_ids)
        for r in conn.execute(select(u.c.id, u.c.queue_ids).where(u.c.deleted_at.is_(None)))
    }
    agents = []
    for r in conn.execute(select(ag).order_by(ag.c.display_name, ag.c.agent_id)):
        queues = user_queues.get(r.agent_id) if r.user_id is not None else None
        agents.append(
            AgentInfo(
                agent_id=r.agent_id,
                display_name=r.display_name,
                queues=queues if queues is not None else tuple(r.queues),
                chosen=tuple(sorted(chosen.get(r.agent_id, []), key=lambda s: s.key)),
                attempts=tuple(sorted(by_agent.get(r.agent_id, []), key=lambda a: a.routed_at)),
                known_since=parse_timestamp(r.known_since),
            )
        )
    return World(load_queues(conn), contacts, attempts, agents)


def today_start(now: datetime, settings: Any) -> datetime:
    return day_start(now, zone_of(settings))


def supervisor_ids(conn: Connection) -> frozenset[str]:
    """Users who receive `queue_snapshot`: every enabled supervisor and admin (they see every queue)."""
    u = t.app_user
    rows = conn.execute(select(u.c.id, u.c.roles).where(u.c.deleted_at.is_(None), u.c.disabled.is_(False)))
    return frozenset(r.id for r in rows if {"supervisor", "admin"} & set(r.roles))


def queue_agent_ids(conn: Connection, queue_id: str | None) -> frozenset[str] | None:
    """Users serving a queue (None: every user) — the audience of a broadcast."""
    if queue_id is None:
        return None
    u = t.app_user
    rows: Sequence[Any] = list(conn.execute(select(u.c.id, u.c.queue_ids).where(u.c.deleted_at.is_(None))))
    return frozenset(r.id for r in rows if queue_id in (r.queue_ids or ()))
