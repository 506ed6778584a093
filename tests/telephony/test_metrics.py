"""Every METRICS.md metric from the hand-written log (handlog.py) equals the hand-computed value,
and the same log duplicated and shuffled gives the same figures."""

import random
from datetime import UTC, timedelta

import pytest

from server.telephony.intake import to_event
from server.telephony.metrics import AgentInfo, QueueInfo, World, build
from server.telephony.model import Attempt, ChosenState, Contact, Event
from server.telephony.state import derive_contact
from tests.telephony.handlog import NOW, Q, wire_log
from wire.telephony import AgentBoardRow, QueueStatus

TODAY = NOW.replace(hour=0, minute=0, second=0)
ROLLING_S = 1800


def world_from(events: list[Event]) -> World:
    """The pure path the server takes: derive every contact, gather agents' choices and offers."""
    by_contact: dict[str, list[Event]] = {}
    chosen: dict[str, list[ChosenState]] = {}
    for e in events:
        if e.contact_id is not None:
            by_contact.setdefault(e.contact_id, []).append(e)
        elif e.type == "agent_state" and e.agent_id is not None:
            chosen.setdefault(e.agent_id, []).append(
                ChosenState(e.at, e.event_id, e.payload["state"], e.payload.get("reason"))
            )
    contacts: list[Contact] = []
    attempts: dict[str, list[Attempt]] = {}
    for cid, evs in by_contact.items():
        made = derive_contact(cid, evs)
        assert made is not None
        contacts.append(made[0])
        attempts[cid] = made[1]
    agents = [
        AgentInfo(
            agent_id=a,
            display_name=a,
            queues=(Q,),
            chosen=tuple(sorted({s.event_id: s for s in chosen[a]}.values(), key=lambda s: s.key)),
            attempts=tuple(x for xs in attempts.values() for x in xs if x.agent_id == a),
            known_since=min(s.at for s in chosen[a]),
        )
        for a in sorted(chosen)
    ]
    return World([QueueInfo(Q, "Q", 20, 0.8)], sorted(contacts, key=lambda c: c.contact_id), attempts, agents)


def figures(events: list[Event]) -> tuple[QueueStatus, list[AgentBoardRow]]:
    queues, agents = build(world_from(events), NOW, ROLLING_S, TODAY)
    return queues[0], agents


@pytest.fixture
def log() -> list[Event]:
    return [to_event(e) for e in wire_log()]


def test_waiting_and_oldest_wait(log: list[Event]) -> None:
    q, _ = figures(log)
    # C6 (queued 10:28:00) and C8 (queued 10:29:30) wait; the oldest is C6: 10:30:00 - 10:28:00
    assert q.contacts_waiting == 2
    assert q.oldest_wait_s == 120.0


def test_rolling_window_counts_service_level_asa_aht(log: list[Event]) -> None:
    r = figures(log)[0].rolling
    # in 10:00-10:30: offered C1 C2 C3 C4 C5 C6 C8, all queued in it too
    assert (r.offered, r.queued) == (7, 7)
    # answered C1 (10 s), C4 (40 s), C5 (35 s from the first enqueue): only C1 within 20 s
    assert (r.answered, r.answered_within_threshold) == (3, 1)
    # abandoned C2 (15 s: short) and C3 (60 s)
    assert (r.abandoned, r.short_abandoned) == (2, 1)
    # SL = 1 / (3 answered + 2 abandoned - 1 short) = 0.25
    assert r.service_level == pytest.approx(0.25)
    # ASA = (10 + 40 + 35) / 3
    assert r.asa_s == pytest.approx(85 / 3)
    # handled C1, C4, C5: talk 240, 240, 300 → 260; ACW 60 each; AHT 320
    assert r.handled == 3
    assert (r.talk_s, r.acw_s, r.aht_s) == pytest.approx((260.0, 60.0, 320.0))
    # abandon rate: of the 7 queued in the window, C2 and C3 abandoned
    assert r.abandon_rate == pytest.approx(2 / 7)
    # arrivals: 7 queued in half an hour
    assert r.arrival_rate_per_h == pytest.approx(14.0)


def test_today_window(log: list[Event]) -> None:
    d = figures(log)[0].today
    assert d.since == TODAY.isoformat()
    # C7 joins: 8 offered and queued, 4 answered, C1 (10 s) and C7 (15 s) within 20 s
    assert (d.offered, d.queued, d.answered, d.answered_within_threshold) == (8, 8, 4, 2)
    # SL = 2 / (4 + 2 - 1) = 0.4; ASA = (10 + 40 + 35 + 15) / 4 = 25
    assert d.service_level == pytest.approx(0.4)
    assert d.asa_s == pytest.approx(25.0)
    # talk (240 + 240 + 300 + 300) / 4 = 270, ACW 60, AHT 330
    assert (d.talk_s, d.aht_s) == pytest.approx((270.0, 330.0))
    # abandon rate 2 / 8; arrivals 8 in 10.5 h
    assert d.abandon_rate == pytest.approx(0.25)
    assert d.arrival_rate_per_h == pytest.approx(8 / 10.5)


def test_occupancy(log: list[Event]) -> None:
    q, agents = figures(log)
    # A1 in 10:00-10:30, on contacts (answer → ACW end): C1 10:01:10-10:06:10 = 300,
    # C4 10:06:40-10:11:40 = 300, C5 10:20:35-10:26:35 = 360 → 960 s.
    # offers open (routed → free): C1 305, C4 320, C5 20 (rang out) + 365 → 1010 s;
    # available the whole 1800 s → idle 1800 - 1010 = 790 s. Occupancy 960 / (960 + 790).
    # A2 is not ready: neither busy nor idle, so the queue's figure is A1's.
    a1 = next(a for a in agents if a.agent_id == "A1")
    assert a1.occupancy == pytest.approx(960 / 1750)
    assert q.rolling.occupancy == pytest.approx(960 / 1750)
    # today: available from 09:00 (5400 s); C7 adds 360 busy and 370 open → busy 1320,
    # idle 5400 - 1380 = 4020
    assert q.today.occupancy == pytest.approx(1320 / 5340)


def test_agent_counts_and_board(log: list[Event]) -> None:
    q, agents = figures(log)
    assert (q.agents_staffed, q.agents_available, q.agents_not_ready) == (2, 1, 1)
    assert (q.agents_on_contact, q.agents_acw, q.agents_reserved) == (0, 0, 0)
    a1, a2 = sorted(agents, key=lambda a: a.agent_id)
    # A1 is available again since the end of C5's ACW (10:26:35): 205 s in state
    assert (a1.state, a1.state_since, a1.time_in_state_s) == ("available", "2026-03-02T10:26:35+00:00", 205.0)
    assert (a2.state, a2.reason, a2.time_in_state_s) == ("not_ready", "break", 3600.0)


def test_agent_state_during_a_contact(log: list[Event]) -> None:
    world = world_from(log)
    for clock, expected in [
        ((10, 1, 7), ("reserved", "C1")),
        ((10, 3, 0), ("on_contact", "C1")),
        ((10, 5, 30), ("acw", "C1")),
        ((10, 20, 26), ("available", None)),  # C5 rang out at 10:20:25: available again
    ]:
        now = NOW.replace(hour=clock[0], minute=clock[1], second=clock[2])
        _, agents = build(world, now, ROLLING_S, TODAY)
        a1 = next(a for a in agents if a.agent_id == "A1")
        assert (a1.state, a1.contact_id) == expected, clock


def test_staffing_advice_uses_the_rolling_window(log: list[Event]) -> None:
    s = figures(log)[0].staffing
    # A = 14/h · 320 s = 14 / 3600 · 320 erlangs with 2 agents staffed
    assert s.traffic_erlangs == pytest.approx(14 / 3600 * 320)
    assert s.agents_staffed == 2 and not s.unstable
    assert s.probability_wait is not None and 0 < s.probability_wait < 1


def test_duplicated_and_shuffled_log_gives_the_same_figures(log: list[Event]) -> None:
    expected = figures(log)
    rng = random.Random(5)
    for _ in range(20):
        messy = log + rng.sample(log, len(log) // 2)
        rng.shuffle(messy)
        assert figures(messy) == expected


def test_nothing_after_now_counts(log: list[Event]) -> None:
    # a late event (10:40) changes nothing at 10:30
    late = to_event(wire_log()[0].model_copy(update={"event_id": "late", "at": "2026-03-02T10:40:00+00:00"}))
    assert figures([*log, late]) == figures(log)
    assert NOW.tzinfo is UTC and timedelta(seconds=ROLLING_S) == timedelta(minutes=30)
