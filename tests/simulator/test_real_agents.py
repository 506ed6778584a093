"""A real signed-in agent and the simulator, over the real server: the agent goes Available from
the desktop's endpoint, the simulator sees it through GET /api/v1/telephony/state and offers a
contact; the ring times out and the contact goes back to the queue; offered again, the agent
answers from the desktop and the simulator lets go of it (no ring timeout, no abandon)."""

from datetime import UTC, datetime, timedelta

import httpx

from server.simulator.callers import CallerBook
from server.simulator.clock import SimClock
from server.simulator.engine import Engine
from server.simulator.model import CallerMix, Distributions, SimulationConfig, Weibull, default_loads
from server.simulator.real_agents import StatePoller
from server.simulator.sink import HttpSink
from tests.api.sync_helpers import login
from tests.e2e.conftest import Seed
from tests.simulator.helpers import HOUR_MS, KNOWN
from tests.support.live import LiveServer


def _engine(queue_id: str) -> Engine:
    """No simulated agents, callers who never hang up; simulated time an hour in the past, so the
    desktop's own events (stamped "now" by the server) come after everything simulated."""
    durations = Distributions(patience=Weibull(scale_s=1e7, shape=1.0))
    config = SimulationConfig(
        seed=51, queues=default_loads([(queue_id, "Queue 1")], 10, durations), agents=0, durations=durations
    )
    start = datetime.now(UTC) - timedelta(hours=1)
    return Engine(config, SimClock(start, speed=None), CallerBook(KNOWN, CallerMix()))


def _first_arrival(engine: Engine) -> str:
    engine.start()
    while not any(e.type == "contact_offered" for e in engine.log):
        due = engine.next_due_ms
        assert due is not None
        engine.advance(due)
    return next(e.contact_id for e in engine.log if e.type == "contact_offered")


def _routed(engine: Engine, sink: HttpSink) -> list[tuple[str, str]]:
    events = engine.drain()
    sink.post(events)
    return [(e.contact_id, e.agent_id) for e in events if e.type == "contact_routed"]


def test_offer_ring_timeout_requeue_then_answer(keyed_server: tuple[LiveServer, Seed, str]) -> None:
    live, seed, key = keyed_server
    agent = login(live.url, "agent")
    assert agent.put("/api/v1/agents/me/state", json={"state": "available"}).status_code == 200
    engine = _engine(seed.data.queue_ids[0])
    with httpx.Client(base_url=live.url, timeout=30) as client:
        sink, poller = HttpSink(client, key), StatePoller(client, key)
        contact = _first_arrival(engine)
        sink.post(engine.drain())

        view = poller.poll(set())
        assert view is not None
        assert [a.agent_id for a in view.agents if a.available] == [seed.data.agent_id]
        engine.observe_real_agents(view.agents, view.answered)
        assert _routed(engine, sink) == [(contact, seed.data.agent_id)]
        mine = agent.get("/api/v1/agents/me/state").json()
        assert (mine["state"], mine["contact_id"]) == ("reserved", contact)

        # nobody answers: the ring times out and the contact is queued again
        ring_ms = round(engine.config.durations.ring_timeout_s * 1000)
        engine.advance(engine.now_ms + ring_ms)
        events = engine.drain()
        sink.post(events)
        assert [e.type for e in events if getattr(e, "contact_id", None) == contact] == ["contact_queued"]
        state = client.get("/api/v1/telephony/state", headers={"Authorization": f"Bearer {key}"}).json()
        assert {c["contact_id"]: c["status"] for c in state["contacts"]}[contact] == "queued"

        # available again after the pause that follows a missed ring: offered again, answered
        engine.advance(engine.now_ms + ring_ms)
        view = poller.poll(set())
        assert view is not None
        engine.observe_real_agents(view.agents, view.answered)
        assert _routed(engine, sink) == [(contact, seed.data.agent_id)]
        answered = agent.post(f"/api/v1/contacts/{contact}/answer")
        assert answered.status_code == 200, answered.text
        view = poller.poll(set())
        assert view is not None and contact in view.answered
        engine.observe_real_agents(view.agents, view.answered)
        engine.advance(engine.now_ms + HOUR_MS)
        later = [e for e in engine.drain() if getattr(e, "contact_id", None) == contact]
        assert later == []  # the desktop drives it now: no ring timeout, no abandon
        assert engine.contacts[contact].released
