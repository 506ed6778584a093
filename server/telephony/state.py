"""The pure state machine: a contact's state and offers from its events, an agent's state at an instant.

A contact's state is replayed from ALL its events in `Event.order` (time, lifecycle position, id),
so the same set of events gives the same state however often and in whatever order they arrived.

Contact rules (wire/telephony.py describes the events):
- `contact_offered` sets the queue, number and channel; `contact_queued` sets the queue and, the
  first time only, the enqueue time. A `contact_queued` while an offer rings is a ring timeout:
  the offer is released (the agent is free again) and the contact waits again, still counted once.
- `contact_routed` opens an offer (attempt) to an agent; `contact_answered` answers it (an answer
  without a routing opens an offer at the answer time); `contact_ended` ends talk (ACW starts) or,
  unanswered, releases the offer; `acw_ended` finishes the offer: the contact is handled.
- `contact_abandoned` before an answer releases any ringing offer; after an answer it is ignored
  (the caller hanging up during talk is `contact_ended`).

Agent rules: the agent's chosen state (available, not_ready with a reason, offline) is the latest
`agent_state` event by (time, id). An unfinished offer overrides it: reserved while it rings,
on_contact after the answer, acw after the end. When the offer finishes (ACW ends, or a ring
timeout re-queues the contact) the agent is back in the chosen state, from that moment: a missed
offer does not make the agent not ready by itself (a phone system that wants that sends
`agent_state`).
"""

from collections.abc import Iterable, Sequence
from datetime import datetime

from server.telephony.model import FINAL_STATUSES, AgentNow, Attempt, ChosenState, Contact, Event


def _open_attempt(attempts: list[Attempt]) -> Attempt | None:
    if attempts and attempts[-1].finished_at is None:
        return attempts[-1]
    return None


def derive_contact(contact_id: str, events: Iterable[Event]) -> tuple[Contact, list[Attempt]] | None:
    """The contact and its offers from its events (any order, duplicates allowed); None without events."""
    ordered = sorted({e.event_id: e for e in events}.values(), key=lambda e: e.order)
    if not ordered:
        return None
    first = ordered[0]
    c = Contact(contact_id=contact_id, queue_id=None, offered_at=first.at, last_event_at=ordered[-1].at)
    attempts: list[Attempt] = []
    for e in ordered:
        _apply(c, attempts, e)
    return c, attempts


def _apply(c: Contact, attempts: list[Attempt], e: Event) -> None:
    p = e.payload
    current = _open_attempt(attempts)
    if e.type == "contact_offered":
        c.offered_at = e.at
        c.queue_id = p.get("queue_id") or c.queue_id
        c.phone = p.get("phone")
        c.channel = p.get("channel") or "phone"
    elif e.type == "contact_queued":
        c.queue_id = p.get("queue_id") or c.queue_id
        if c.queued_at is None:
            c.queued_at = e.at
        if current is not None and current.answered_at is None:
            current.finished_at = e.at  # ring timeout: back to the queue
        if c.status not in FINAL_STATUSES and c.answered_at is None:
            c.status = "queued"
            c.agent_id = None
    elif e.type == "contact_routed":
        if c.status in FINAL_STATUSES or c.answered_at is not None:
            return
        if current is not None:
            current.finished_at = e.at  # routed elsewhere without a re-queue in between
        attempts.append(Attempt(c.contact_id, len(attempts) + 1, str(e.agent_id), c.queue_id, e.at))
        c.ring_attempts += 1
        c.routed_at = e.at
        c.agent_id = e.agent_id
        c.status = "routed"
    elif e.type == "contact_answered":
        if c.status in FINAL_STATUSES or c.answered_at is not None:
            return
        if current is None or current.agent_id != e.agent_id:
            if current is not None:
                current.finished_at = e.at
            current = Attempt(c.contact_id, len(attempts) + 1, str(e.agent_id), c.queue_id, e.at)
            attempts.append(current)
            c.ring_attempts += 1
            c.routed_at = e.at
        current.answered_at = e.at
        c.answered_at = e.at
        c.agent_id = e.agent_id
        c.status = "talking"
    elif e.type == "contact_abandoned":
        if c.answered_at is not None or c.status in FINAL_STATUSES:
            return
        if current is not None:
            current.finished_at = e.at
        c.abandoned = True
        c.abandoned_at = e.at
        c.status = "abandoned"
    elif e.type == "contact_ended":
        if c.ended_at is not None or c.status in FINAL_STATUSES:
            return
        c.ended_at = e.at
        if c.answered_at is not None:
            if current is not None:
                current.ended_at = e.at
            c.status = "acw"
        else:
            if current is not None:
                current.finished_at = e.at
            c.status = "ended"
    elif e.type == "acw_ended":
        if c.answered_at is None or c.status in FINAL_STATUSES:
            return
        if c.ended_at is None:  # wrap-up without an explicit end: talk ended then
            c.ended_at = e.at
        if current is not None:
            current.ended_at = current.ended_at or e.at
            current.finished_at = e.at
        c.acw_ended_at = e.at
        c.status = "handled"
    for a in attempts:
        a.queue_id = a.queue_id or c.queue_id


def latest_chosen(chosen: Iterable[ChosenState], at: datetime | None = None) -> ChosenState | None:
    """The chosen state in force at `at` (None: the latest of all)."""
    best: ChosenState | None = None
    for s in chosen:
        if at is not None and s.at > at:
            continue
        if best is None or s.key > best.key:
            best = s
    return best


def agent_at(
    chosen: ChosenState | None, attempts: Sequence[Attempt], at: datetime | None, known_since: datetime
) -> AgentNow:
    """The agent's state at `at` (None: after every known event) from its chosen state and offers.

    `chosen` must be the state in force at `at` (`latest_chosen`); `known_since` is the start of an
    agent that never chose a state (its first event).
    """
    active: Attempt | None = None
    last_free = known_since
    for a in attempts:
        if at is not None and a.routed_at > at:
            continue
        if a.finished_at is not None and (at is None or a.finished_at <= at):
            last_free = max(last_free, a.finished_at)
            continue
        if active is None or a.routed_at > active.routed_at:
            active = a
    if active is not None:
        if active.answered_at is not None and (at is None or active.answered_at <= at):
            if active.ended_at is not None and (at is None or active.ended_at <= at):
                return AgentNow("acw", None, active.ended_at, active.contact_id)
            return AgentNow("on_contact", None, active.answered_at, active.contact_id)
        return AgentNow("reserved", None, active.routed_at, active.contact_id)
    if chosen is None:
        return AgentNow("offline", None, last_free, None)
    reason = chosen.reason if chosen.state == "not_ready" else None
    return AgentNow(chosen.state, reason, max(chosen.at, last_free), None)


Interval = tuple[datetime, datetime]


def _clip(a: datetime, b: datetime, start: datetime, end: datetime) -> Interval | None:
    lo, hi = max(a, start), min(b, end)
    return (lo, hi) if hi > lo else None


def _merged(intervals: Iterable[Interval]) -> list[Interval]:
    out: list[Interval] = []
    for lo, hi in sorted(intervals):
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def _overlap_s(xs: Sequence[Interval], ys: Sequence[Interval]) -> float:
    """Seconds where two sorted lists of disjoint intervals overlap (a two-pointer sweep)."""
    i = j = 0
    total = 0.0
    while i < len(xs) and j < len(ys):
        lo, hi = max(xs[i][0], ys[j][0]), min(xs[i][1], ys[j][1])
        if hi > lo:
            total += (hi - lo).total_seconds()
        if xs[i][1] <= ys[j][1]:
            i += 1
        else:
            j += 1
    return total


def busy_and_idle(
    chosen: Sequence[ChosenState], attempts: Sequence[Attempt], start: datetime, end: datetime
) -> tuple[float, float]:
    """Seconds on contacts and seconds available idle of one agent within [start, end].

    On contacts: from each answer to the end of its after-contact work (talk, hold, ACW). Available
    idle: the agent chose "available" and no offer was open (ringing counts as neither: it is not
    work on a contact, nor idle availability).
    """
    if end <= start:
        return 0.0, 0.0
    busy = _merged(
        iv
        for a in attempts
        if a.answered_at is not None
        and (iv := _clip(a.answered_at, a.finished_at or end, start, end)) is not None
    )
    offers = _merged(
        iv for a in attempts if (iv := _clip(a.routed_at, a.finished_at or end, start, end)) is not None
    )
    available: list[Interval] = []
    ordered = sorted(chosen, key=lambda s: s.key)
    for k, s in enumerate(ordered):
        if s.state != "available":
            continue
        until = ordered[k + 1].at if k + 1 < len(ordered) else end
        if (iv := _clip(s.at, until, start, end)) is not None:
            available.append(iv)
    available = _merged(available)
    busy_s = sum((hi - lo).total_seconds() for lo, hi in busy)
    available_s = sum((hi - lo).total_seconds() for lo, hi in available)
    return busy_s, max(0.0, available_s - _overlap_s(available, offers))
