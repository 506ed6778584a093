"""METRICS.md's definitions as pure functions of contact and agent records and a `now`.

Every figure comes from timestamps. A window is [since, now], both ends included: "rolling" starts
`rolling_s` before now (default 30 min), "today" at local midnight of the server's time zone.
Each count takes the contacts whose own timestamp for that count lies in the window:
offered (offer time), queued (first enqueue), answered (answer), abandoned (abandon), handled
(end of ACW). docs/metrics.md states each definition; the loader feeds these from the database.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any, Final, Literal

from server.telephony.erlang import staffing_advice
from server.telephony.model import Attempt, ChosenState, Contact
from server.telephony.state import agent_at, busy_and_idle, latest_chosen
from server.telephony.thresholds import thresholds_for
from wire.telephony import AgentBoardRow, QueueStatus, QueueWaiting, WindowMetrics

DEFAULT_ROLLING_S: Final = 30 * 60


@dataclass(frozen=True, slots=True)
class QueueInfo:
    queue_id: str
    name: str
    sl_threshold_s: int
    sl_target: float
    #: the stored threshold override (queue_threshold row), if any
    thresholds: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class AgentInfo:
    agent_id: str
    display_name: str
    queues: tuple[str, ...]
    #: the agent's chosen states (at least the one in force at the earliest window start)
    chosen: tuple[ChosenState, ...]
    attempts: tuple[Attempt, ...]
    #: when the server first heard of the agent (the start of "offline" without a chosen state)
    known_since: datetime


@dataclass(frozen=True, slots=True)
class World:
    """What the metrics read: queues, contacts (with their offers) and agents."""

    queues: Sequence[QueueInfo]
    contacts: Sequence[Contact]
    attempts: Mapping[str, Sequence[Attempt]]
    agents: Sequence[AgentInfo]


def iso(dt: datetime) -> str:
    return dt.isoformat()


def day_start(now: datetime, zone: tzinfo) -> datetime:
    """Local midnight of `now`'s day in `zone`, as an aware datetime."""
    local = now.astimezone(zone)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def is_waiting(c: Contact, attempts: Sequence[Attempt], now: datetime) -> bool:
    """In the queue at `now`: enqueued, not answered, abandoned or ended, and no offer ringing."""
    if c.queued_at is None or c.queued_at > now:
        return False
    for t in (c.answered_at, c.abandoned_at, c.ended_at, c.acw_ended_at):
        if t is not None and t <= now:
            return False
    return not any(a.routed_at <= now and (a.finished_at is None or a.finished_at > now) for a in attempts)


def waiting(
    contacts: Iterable[Contact], attempts: Mapping[str, Sequence[Attempt]], now: datetime
) -> tuple[int, float | None]:
    """Contacts waiting now and the oldest wait (now - first enqueue of the longest-waiting one)."""
    oldest: datetime | None = None
    count = 0
    for c in contacts:
        if is_waiting(c, attempts.get(c.contact_id, ()), now):
            count += 1
            assert c.queued_at is not None
            oldest = c.queued_at if oldest is None else min(oldest, c.queued_at)
    return count, (now - oldest).total_seconds() if oldest is not None else None


def window_metrics(
    window: Literal["rolling", "today"],
    since: datetime,
    now: datetime,
    contacts: Iterable[Contact],
    threshold_s: float,
    busy_s: float,
    idle_s: float,
) -> WindowMetrics:
    """One queue's figures over [since, now] (`contacts`: that queue's; busy/idle: its agents')."""

    def inside(t: datetime | None) -> bool:
        return t is not None and since <= t <= now

    offered = queued = answered = within = abandoned = short = handled = 0
    cohort = cohort_abandoned = 0
    waits: list[float] = []
    talks: list[float] = []
    acws: list[float] = []
    for c in contacts:
        offered += inside(c.offered_at)
        if inside(c.queued_at):
            queued += 1
            cohort += 1
            cohort_abandoned += c.abandoned and c.abandoned_at is not None and c.abandoned_at <= now
        if c.answered_at is not None and inside(c.answered_at):
            answered += 1
            wait = (c.answered_at - c.enqueued_at).total_seconds()
            waits.append(wait)
            within += wait <= threshold_s
        if c.abandoned and c.queued_at is not None and c.abandoned_at is not None and inside(c.abandoned_at):
            abandoned += 1
            short += (c.abandoned_at - c.queued_at).total_seconds() <= threshold_s
        if c.acw_ended_at is not None and inside(c.acw_ended_at):
            assert c.answered_at is not None and c.ended_at is not None
            handled += 1
            talks.append((c.ended_at - c.answered_at).total_seconds())
            acws.append((c.acw_ended_at - c.ended_at).total_seconds())
    denominator = answered + abandoned - short
    hours = (now - since).total_seconds() / 3600.0
    talk, acw = _mean(talks), _mean(acws)
    return WindowMetrics(
        window=window,
        since=iso(since),
        offered=offered,
        queued=queued,
        answered=answered,
        answered_within_threshold=within,
        abandoned=abandoned,
        short_abandoned=short,
        handled=handled,
        service_level=within / denominator if denominator else None,
        asa_s=_mean(waits),
        aht_s=talk + acw if talk is not None and acw is not None else None,
        talk_s=talk,
        acw_s=acw,
        abandon_rate=cohort_abandoned / cohort if cohort else None,
        occupancy=busy_s / (busy_s + idle_s) if busy_s + idle_s > 0 else None,
        arrival_rate_per_h=queued / hours if hours > 0 else 0.0,
    )


def agent_row(
    agent: AgentInfo, now: datetime, rolling: tuple[float, float], queue_of: Mapping[str, str | None]
) -> AgentBoardRow:
    """The agent board's row at `now`; `rolling`: its (busy, idle) seconds in the rolling window."""
    chosen = latest_chosen(agent.chosen, now)
    state = agent_at(chosen, agent.attempts, now, agent.known_since)
    busy, idle = rolling
    return AgentBoardRow(
        agent_id=agent.agent_id,
        display_name=agent.display_name,
        state=state.state,
        reason=state.reason,
        state_since=iso(state.since),
        time_in_state_s=max(0.0, (now - state.since).total_seconds()),
        contact_id=state.contact_id,
        queue_id=queue_of.get(state.contact_id) if state.contact_id is not None else None,
        queues=list(agent.queues),
        occupancy=busy / (busy + idle) if busy + idle > 0 else None,
    )


def build(
    world: World, now: datetime, rolling_s: int, today_since: datetime
) -> tuple[list[QueueStatus], list[AgentBoardRow]]:
    """Every queue's status and the agent board at `now`."""
    rolling_since = now - timedelta(seconds=rolling_s)
    queue_of = {c.contact_id: c.queue_id for c in world.contacts}
    # each agent's (busy, idle) seconds per window, once: queues share agents
    work_r = [busy_and_idle(a.chosen, a.attempts, rolling_since, now) for a in world.agents]
    work_t = [busy_and_idle(a.chosen, a.attempts, today_since, now) for a in world.agents]
    rows = [agent_row(a, now, w, queue_of) for a, w in zip(world.agents, work_r, strict=True)]
    by_queue: dict[str, list[Contact]] = {}
    for c in world.contacts:
        if c.queue_id is not None:
            by_queue.setdefault(c.queue_id, []).append(c)
    statuses = []
    for q in world.queues:
        contacts = by_queue.get(q.queue_id, [])
        serving = [k for k, a in enumerate(world.agents) if q.queue_id in a.queues]
        states = [rows[k].state for k in serving]
        busy_r, idle_r = sum(work_r[k][0] for k in serving), sum(work_r[k][1] for k in serving)
        busy_t, idle_t = sum(work_t[k][0] for k in serving), sum(work_t[k][1] for k in serving)
        count, oldest = waiting(contacts, world.attempts, now)
        rolling = window_metrics("rolling", rolling_since, now, contacts, q.sl_threshold_s, busy_r, idle_r)
        today = window_metrics("today", today_since, now, contacts, q.sl_threshold_s, busy_t, idle_t)
        staffed = sum(s != "offline" for s in states)
        statuses.append(
            QueueStatus(
                queue_id=q.queue_id,
                name=q.name,
                sl_threshold_s=q.sl_threshold_s,
                sl_target=q.sl_target,
                contacts_waiting=count,
                oldest_wait_s=oldest,
                agents_staffed=staffed,
                agents_available=states.count("available"),
                agents_reserved=states.count("reserved"),
                agents_on_contact=states.count("on_contact"),
                agents_acw=states.count("acw"),
                agents_not_ready=states.count("not_ready"),
                rolling=rolling,
                today=today,
                staffing=staffing_advice(
                    rolling.arrival_rate_per_h, rolling.aht_s, staffed, q.sl_threshold_s, q.sl_target
                ),
                thresholds=thresholds_for(q.sl_threshold_s, q.sl_target, q.thresholds),
            )
        )
    return statuses, rows


def waiting_for(world: World, now: datetime, queue_ids: Iterable[str]) -> list[QueueWaiting]:
    """What an agent sees of its own queues: waiting count and oldest wait."""
    wanted = set(queue_ids)
    out = []
    for q in world.queues:
        if q.queue_id not in wanted:
            continue
        count, oldest = waiting((c for c in world.contacts if c.queue_id == q.queue_id), world.attempts, now)
        out.append(
            QueueWaiting(queue_id=q.queue_id, name=q.name, contacts_waiting=count, oldest_wait_s=oldest)
        )
    return out
