"""The ACD's rules, checked on a whole simulated day's event log: every contact follows the
lifecycle, agents are only offered contacts when available and free, queues are FIFO, ring
timeouts re-queue, and real agents are offered contacts and re-queued after a ring timeout."""

from collections import defaultdict
from datetime import datetime

from server.simulator.engine import Engine, RealAgentSeen
from server.simulator.model import Distributions, Weibull
from tests.simulator.helpers import HOUR_MS, make_engine

#: the event types that may follow each state of a contact (None: it was just offered)
NEXT = {
    None: {"contact_offered"},
    "contact_offered": {"contact_queued"},
    "contact_queued": {"contact_routed", "contact_abandoned"},
    "contact_routed": {"contact_answered", "contact_queued", "contact_abandoned"},
    "contact_answered": {"contact_ended"},
    "contact_ended": {"acw_ended"},
    "acw_ended": set(),
    "contact_abandoned": set(),
}


def _day(seed: int, **kwargs: object) -> Engine:
    engine = make_engine(seed, **kwargs)  # type: ignore[arg-type]
    engine.advance(12 * HOUR_MS)
    return engine


def test_every_contact_follows_the_lifecycle() -> None:
    engine = _day(21, durations=Distributions(miss_probability=0.1))
    last: dict[str, str | None] = defaultdict(lambda: None)
    last_at: dict[str, str] = {}
    requeued = 0
    for event in engine.log:
        if event.type == "agent_state":
            continue
        cid = event.contact_id
        assert event.type in NEXT[last[cid]], (cid, last[cid], event.type)
        assert last_at.get(cid, event.at) <= event.at
        requeued += last[cid] == "contact_routed" and event.type == "contact_queued"
        last[cid], last_at[cid] = event.type, event.at
    assert requeued > 5  # ring timeouts happened and were re-queued
    assert {"acw_ended", "contact_abandoned"} <= set(last.values())


def test_agents_get_contacts_only_when_available_and_free() -> None:
    engine = _day(22)
    chosen: dict[str, str] = {}
    holding: dict[str, str | None] = {}
    served: set[str] = set()
    for event in engine.log:
        if event.type == "agent_state":
            assert holding.get(event.agent_id) is None  # state changes wait for the wrap-up
            chosen[event.agent_id] = event.state
        elif event.type == "contact_routed":
            assert chosen.get(event.agent_id) == "available", event
            assert holding.get(event.agent_id) is None, event
            holding[event.agent_id] = event.contact_id
            served.add(event.agent_id)
        elif event.type == "acw_ended":
            assert holding[event.agent_id] == event.contact_id
            holding[event.agent_id] = None
        elif event.type in ("contact_queued", "contact_abandoned"):
            for agent, contact in holding.items():
                if contact == event.contact_id:  # a ring timeout: the agent lets go
                    holding[agent] = None
    assert len(served) == engine.config.agents
    reasons = {e.reason for e in engine.log if e.type == "agent_state" and e.state == "not_ready"}
    assert {"break", "lunch"} <= reasons


def test_each_queue_is_first_in_first_out() -> None:
    """When a contact is routed, no contact of its queue that entered earlier is still waiting."""
    engine = _day(23, agents=6)  # few agents: queues build up
    first_queued: dict[str, str] = {}
    queue_of: dict[str, str] = {}
    waiting: dict[str, set[str]] = defaultdict(set)
    for event in engine.log:
        if event.type == "contact_queued":
            first_queued.setdefault(event.contact_id, event.at)
            queue_of[event.contact_id] = event.queue_id
            waiting[event.queue_id].add(event.contact_id)
        elif event.type in ("contact_routed", "contact_abandoned"):
            queue = queue_of[event.contact_id]
            if event.type == "contact_routed":
                mine = (first_queued[event.contact_id], event.contact_id)
                assert all(mine <= (first_queued[c], c) for c in waiting[queue]), event
            waiting[queue].discard(event.contact_id)
    assert any(e.type == "contact_abandoned" for e in engine.log)


def _first_contact(engine: Engine) -> str:
    engine.start()
    while True:
        due = engine.next_due_ms
        assert due is not None
        engine.advance(due)
        offered = [e for e in engine.log if e.type == "contact_offered"]
        if offered:
            return offered[0].contact_id


def test_real_agent_is_offered_a_contact_and_it_requeues_after_the_ring_timeout() -> None:
    patient = Distributions(patience=Weibull(scale_s=1e7, shape=1.0))  # nobody hangs up here
    engine = make_engine(31, agents=0, queues=[("q1", "Billing")], durations=patient)
    contact = _first_contact(engine)
    ann = RealAgentSeen(agent_id="user-ann", name="Ann", available=True, queues=("q1",))
    engine.observe_real_agents([ann], set())
    routed = [e for e in engine.drain() if e.type == "contact_routed"]
    assert [(e.contact_id, e.agent_id) for e in routed] == [(contact, "user-ann")]
    ring_timeout_ms = round(engine.config.durations.ring_timeout_s * 1000)
    routed_ms = engine.now_ms
    engine.advance(routed_ms + ring_timeout_ms - 1)
    # the server shows her reserved while it rings: still hers
    engine.observe_real_agents([RealAgentSeen("user-ann", "Ann", False, ("q1",))], set())
    assert not [e for e in engine.drain() if e.contact_id == contact]  # type: ignore[union-attr]
    engine.advance(routed_ms + ring_timeout_ms)
    requeued = [e for e in engine.drain() if getattr(e, "contact_id", None) == contact]
    assert [e.type for e in requeued] == ["contact_queued"]
    # available again on the server, but just let one ring out: not offered again at once
    engine.observe_real_agents([ann], set())
    assert not [e for e in engine.drain() if e.type == "contact_routed"]


def test_a_real_agent_who_answers_takes_the_contact_over() -> None:
    engine = make_engine(32, agents=0, queues=[("q1", "Billing")])
    contact = _first_contact(engine)
    engine.observe_real_agents([RealAgentSeen("user-bo", "Bo", True, ("q1",))], set())
    engine.drain()
    engine.advance(engine.now_ms + 2000)
    engine.observe_real_agents([RealAgentSeen("user-bo", "Bo", False, ("q1",))], {contact})
    engine.advance(engine.now_ms + 4 * HOUR_MS)
    later = [e for e in engine.drain() if getattr(e, "contact_id", None) == contact]
    assert later == []  # no ring timeout, no abandon: the desktop drives it now
    assert engine.contacts[contact].released


def test_timestamps_are_whole_milliseconds_with_an_offset() -> None:
    engine = make_engine(33)
    engine.advance(HOUR_MS)
    for event in engine.log:
        at = datetime.fromisoformat(event.at)
        assert at.utcoffset() is not None and at.microsecond % 1000 == 0
