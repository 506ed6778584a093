"""Posting through a faulty network: resets before the server saw a batch and answers lost after
it committed. The sink retries with the same event ids, so every event is accepted exactly once
(the lost answers come back as duplicates) and the server's figures are those of a clean run."""

from datetime import timedelta

import httpx
import pytest

from server.auth.tokens import hash_integration_key, new_integration_key
from server.simulator.callers import CallerBook
from server.simulator.clock import SimClock
from server.simulator.engine import Engine
from server.simulator.model import CallerMix, Distributions, SimulationConfig, default_loads
from server.simulator.sink import HttpSink, SinkError
from tests.api.sync_helpers import login
from tests.e2e.conftest import Seed
from tests.simulator.helpers import HOUR_MS, KNOWN, START
from tests.simulator.recompute import assert_same, queue_figures
from tests.support.fault_proxy import FaultProxy, ToxicConfig
from tests.support.live import LiveServer

TRIGGER = b"POST /api/v1/telephony/events"


def _engine(queue_ids: list[str]) -> Engine:
    durations = Distributions()
    queues = [(q, f"Queue {n}") for n, q in enumerate(queue_ids, start=1)]
    config = SimulationConfig(
        seed=41, queues=default_loads(queues, 6, durations), agents=6, durations=durations
    )
    return Engine(config, SimClock(START, speed=None), CallerBook(KNOWN, CallerMix()))


def test_retries_deliver_every_event_once(keyed_server: tuple[LiveServer, Seed, str]) -> None:
    live, seed, key = keyed_server
    engine = _engine(seed.data.queue_ids)
    engine.advance(HOUR_MS)
    events = engine.drain()
    port = int(live.url.rsplit(":", 1)[1])
    toxics = ToxicConfig(probability=0.5, toxics=("reset_peer", "limit_data"), trigger=TRIGGER, limit_bytes=0)
    with FaultProxy(port, toxics, seed=3) as proxy, httpx.Client(base_url=proxy.url, timeout=30) as client:
        sink = HttpSink(client, key, attempts=30, backoff_s=0.0)
        for start in range(0, len(events), 40):
            sink.post(events[start : start + 40])
        assert proxy.counters["resets_done"] > 0 and proxy.counters["truncations_done"] > 0
    assert sink.totals.retries > 0
    # a batch whose answer was lost was stored anyway: its re-sent events came back as duplicates
    assert sink.totals.accepted + sink.totals.duplicates == len(events)
    assert sink.totals.duplicates > 0
    assert sink.totals.rejected == []

    now = START + timedelta(hours=1)
    body = login(live.url, "supervisor").get("/api/v1/queues", params={"as_of": now.isoformat()}).json()
    logged = [e.model_dump(mode="json") for e in engine.log]
    today = START.replace(hour=0, minute=0)
    for status in body["queues"]:
        mine = queue_figures(
            logged, status["queue_id"], status["sl_threshold_s"], now, body["rolling_window_s"], today
        )
        assert mine["today"]["offered"] > 0
        assert_same(status, mine, status["name"])  # each event counted once, none lost


def test_a_wrong_key_is_an_error_not_a_retry(keyed_server: tuple[LiveServer, Seed, str]) -> None:
    live, seed, _ = keyed_server
    engine = _engine(seed.data.queue_ids)
    engine.advance(HOUR_MS // 4)
    wrong = new_integration_key()
    assert hash_integration_key(wrong)  # a well-formed key the server never issued
    with httpx.Client(base_url=live.url, timeout=30) as client:
        sink = HttpSink(client, wrong, attempts=3, backoff_s=0.0)
        with pytest.raises(SinkError, match="401"):
            sink.post(engine.drain())
    assert sink.totals.retries == 0
