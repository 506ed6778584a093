"""METRICS.md recomputed from a simulator's event log, independently of server/telephony/.

Plain loops over the wire events, written from METRICS.md and wire/telephony.py alone, so that a
simulator run's figures on the server can be checked against a second, straightforward reading
of the same log. Window attribution (docs/metrics.md): a window is [since, now] with both ends
included, and each count takes the contacts whose own timestamp for it lies in the window:
offered (offer), queued (first enqueue), answered (answer), abandoned (abandon), handled (end of
ACW); the abandon rate is over the contacts first queued in the window.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest

ORDER = {
    "contact_offered": 0,
    "contact_queued": 1,
    "contact_routed": 2,
    "contact_answered": 3,
    "contact_abandoned": 4,
    "contact_ended": 5,
    "acw_ended": 6,
    "agent_state": 7,
}


@dataclass
class Offer:
    agent_id: str
    routed_at: datetime
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    #: acw_ended for an answered offer; the re-queue or abandon for an unanswered one
    finished_at: datetime | None = None


@dataclass
class Call:
    contact_id: str
    queue_id: str
    offered_at: datetime
    first_queued_at: datetime | None = None
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    acw_ended_at: datetime | None = None
    abandoned_at: datetime | None = None
    offers: list[Offer] = field(default_factory=list)


@dataclass
class Staff:
    agent_id: str
    queues: list[str] = field(default_factory=list)
    #: (at, state, reason) as chosen, in time order
    chosen: list[tuple[datetime, str, str | None]] = field(default_factory=list)
    offers: list[Offer] = field(default_factory=list)


def replay(events: list[dict[str, Any]]) -> tuple[dict[str, Call], dict[str, Staff]]:
    """Contacts and agents from the events (wire JSON), taken in (at, lifecycle, id) order."""
    ordered = sorted(events, key=lambda e: (datetime.fromisoformat(e["at"]), ORDER[e["type"]], e["event_id"]))
    calls: dict[str, Call] = {}
    staff: dict[str, Staff] = {}
    for e in ordered:
        at = datetime.fromisoformat(e["at"])
        kind = e["type"]
        if kind == "agent_state":
            person = staff.setdefault(e["agent_id"], Staff(e["agent_id"]))
            if e.get("queues") is not None:
                person.queues = list(e["queues"])
            person.chosen.append((at, e["state"], e.get("reason")))
            continue
        if kind == "contact_offered":
            calls[e["contact_id"]] = Call(e["contact_id"], e["queue_id"], at)
            continue
        call = calls[e["contact_id"]]
        open_offer = call.offers[-1] if call.offers and call.offers[-1].finished_at is None else None
        if kind == "contact_queued":
            if call.first_queued_at is None:
                call.first_queued_at = at
            if open_offer is not None:
                open_offer.finished_at = at  # a ring timeout: the contact went back to the queue
        elif kind == "contact_routed":
            offer = Offer(e["agent_id"], at)
            call.offers.append(offer)
            staff.setdefault(e["agent_id"], Staff(e["agent_id"])).offers.append(offer)
        elif kind == "contact_answered":
            call.answered_at = at
            assert open_offer is not None
            open_offer.answered_at = at
        elif kind == "contact_abandoned":
            call.abandoned_at = at
            if open_offer is not None:
                open_offer.finished_at = at
        elif kind == "contact_ended":
            call.ended_at = at
            assert open_offer is not None
            open_offer.ended_at = at
        elif kind == "acw_ended":
            call.acw_ended_at = at
            assert open_offer is not None
            open_offer.finished_at = at
    return calls, staff


def agent_state_at(person: Staff, now: datetime) -> str:
    """reserved / on_contact / acw from an offer open at `now`, else the last chosen state."""
    for offer in person.offers:
        if offer.routed_at <= now and (offer.finished_at is None or offer.finished_at > now):
            if offer.answered_at is None or offer.answered_at > now:
                return "reserved"
            if offer.ended_at is None or offer.ended_at > now:
                return "on_contact"
            return "acw"
    state = "offline"
    for at, chosen, _ in person.chosen:
        if at <= now:
            state = chosen
    return state


def _clip(lo: datetime, hi: datetime, since: datetime, now: datetime) -> tuple[datetime, datetime] | None:
    lo, hi = max(lo, since), min(hi, now)
    return (lo, hi) if hi > lo else None


def _length(intervals: list[tuple[datetime, datetime]]) -> float:
    """Seconds covered by the union of the intervals."""
    total = 0.0
    end: datetime | None = None
    for lo, hi in sorted(intervals):
        start = max(lo, end) if end is not None else lo
        if hi > start:
            total += (hi - start).total_seconds()
            end = hi if end is None else max(end, hi)
    return total


def busy_idle(person: Staff, since: datetime, now: datetime) -> tuple[float, float]:
    """METRICS.md occupancy parts of one agent in [since, now]: time on contacts (answer to end of
    ACW) and available idle time (chosen "available", no offer ringing or in hand)."""
    busy: list[tuple[datetime, datetime]] = []
    offers: list[tuple[datetime, datetime]] = []
    for offer in person.offers:
        finished = offer.finished_at if offer.finished_at is not None and offer.finished_at <= now else now
        if offer.routed_at > now:
            continue
        answered = offer.answered_at is not None and offer.answered_at <= now
        if answered and (part := _clip(offer.answered_at or now, finished, since, now)) is not None:
            busy.append(part)
        if (part := _clip(offer.routed_at, finished, since, now)) is not None:
            offers.append(part)
    available: list[tuple[datetime, datetime]] = []
    for k, (at, state, _) in enumerate(person.chosen):
        if state != "available" or at > now:
            continue
        until = person.chosen[k + 1][0] if k + 1 < len(person.chosen) else now
        if (part := _clip(at, until, since, now)) is not None:
            available.append(part)
    # available idle = available minus the parts with an offer open
    idle = _length(available) - (_length(available) + _length(offers) - _length(available + offers))
    return _length(busy), max(0.0, idle)


def window(
    calls: list[Call], staff: list[Staff], since: datetime, now: datetime, threshold_s: float
) -> dict[str, Any]:
    """One queue's WindowMetrics fields over [since, now] (both ends included)."""

    def inside(t: datetime | None) -> bool:
        return t is not None and since <= t <= now

    offered = queued = answered = within = abandoned = short = handled = cohort_abandoned = 0
    waits: list[float] = []
    talks: list[float] = []
    acws: list[float] = []
    for c in calls:
        if inside(c.offered_at):
            offered += 1
        if inside(c.first_queued_at):
            queued += 1
            if c.abandoned_at is not None and c.abandoned_at <= now:
                cohort_abandoned += 1
        if c.answered_at is not None and inside(c.answered_at):
            assert c.first_queued_at is not None
            answered += 1
            wait = (c.answered_at - c.first_queued_at).total_seconds()
            waits.append(wait)
            if wait <= threshold_s:
                within += 1
        if c.abandoned_at is not None and c.first_queued_at is not None and inside(c.abandoned_at):
            abandoned += 1
            if (c.abandoned_at - c.first_queued_at).total_seconds() <= threshold_s:
                short += 1
        if c.acw_ended_at is not None and inside(c.acw_ended_at):
            assert c.answered_at is not None and c.ended_at is not None
            handled += 1
            talks.append((c.ended_at - c.answered_at).total_seconds())
            acws.append((c.acw_ended_at - c.ended_at).total_seconds())
    busy = idle = 0.0
    for person in staff:
        b, i = busy_idle(person, since, now)
        busy += b
        idle += i
    talk = sum(talks) / len(talks) if talks else None
    acw = sum(acws) / len(acws) if acws else None
    counted = answered + abandoned - short
    hours = (now - since).total_seconds() / 3600
    return {
        "offered": offered,
        "queued": queued,
        "answered": answered,
        "answered_within_threshold": within,
        "abandoned": abandoned,
        "short_abandoned": short,
        "handled": handled,
        "service_level": within / counted if counted else None,
        "asa_s": sum(waits) / len(waits) if waits else None,
        "aht_s": talk + acw if talk is not None and acw is not None else None,
        "talk_s": talk,
        "acw_s": acw,
        "abandon_rate": cohort_abandoned / queued if queued else None,
        "occupancy": busy / (busy + idle) if busy + idle > 0 else None,
        "arrival_rate_per_h": queued / hours if hours > 0 else 0.0,
    }


def queue_now(calls: list[Call], staff: list[Staff], now: datetime) -> dict[str, Any]:
    """Contacts waiting, oldest wait and the agents by state, at `now`."""
    waiting_since: list[datetime] = []
    for c in calls:
        if c.first_queued_at is None or c.first_queued_at > now:
            continue
        if any(t is not None and t <= now for t in (c.answered_at, c.abandoned_at, c.ended_at)):
            continue
        ringing = any(o.routed_at <= now and (o.finished_at is None or o.finished_at > now) for o in c.offers)
        if not ringing:
            waiting_since.append(c.first_queued_at)
    states = [agent_state_at(person, now) for person in staff]
    return {
        "contacts_waiting": len(waiting_since),
        "oldest_wait_s": (now - min(waiting_since)).total_seconds() if waiting_since else None,
        "agents_staffed": sum(1 for s in states if s != "offline"),
        "agents_available": states.count("available"),
        "agents_reserved": states.count("reserved"),
        "agents_on_contact": states.count("on_contact"),
        "agents_acw": states.count("acw"),
        "agents_not_ready": states.count("not_ready"),
    }


def queue_figures(
    events: list[dict[str, Any]],
    queue_id: str,
    threshold_s: float,
    now: datetime,
    rolling_s: float,
    today_since: datetime,
) -> dict[str, Any]:
    """Everything the server's QueueStatus says about `queue_id` at `now`, recomputed."""
    calls, staff = replay(events)
    mine = [c for c in calls.values() if c.queue_id == queue_id]
    serving = [p for p in staff.values() if queue_id in p.queues]
    return {
        **queue_now(mine, serving, now),
        "rolling": window(mine, serving, now - timedelta(seconds=rolling_s), now, threshold_s),
        "today": window(mine, serving, today_since, now, threshold_s),
    }


def assert_same(server_side: dict[str, Any], mine: dict[str, Any], label: str) -> None:
    """Every recomputed figure equals the server's (floats to 1e-9; nested windows too)."""
    for name, expected in mine.items():
        if isinstance(expected, dict):
            assert_same(server_side[name], expected, f"{label}.{name}")
        elif isinstance(expected, float):
            assert server_side[name] == pytest.approx(expected, rel=1e-9, abs=1e-9), f"{label}.{name}"
        else:
            assert server_side[name] == expected, f"{label}.{name}"
