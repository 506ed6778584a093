"""`SyncEngine.run_forever` against the real server (SQLite), in a thread (SYNC.md §3, scenarios 21, 23).

- a change by another client arrives through an SSE poke (real time: nothing else could bring it
  within the failure guard, the safety pulls being minutes apart);
- with the event stream refused, the safety pull still converges, at the safety interval of an
  injected clock;
- a server answering 503 with Retry-After for ten (injected) minutes: the retries follow the backoff
  caps, no tight loop, sync resumes after recovery and nothing is lost;
- `stop_event` ends the loop promptly.

Known gap (reported, not asserted here): after `run_forever` returns, the SSE listener thread keeps
the event stream open until the next event arrives (heartbeats are comments and do not wake it), so
the fixtures poke every open stream before stopping the server.

The server sits behind a small middleware (`_Gate`) that records every request and answers 503 for
the paths and times it is told to.
"""

import json
import math
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from desktop.services.api import EVENTS, ApiClient
from desktop.services.api_http import ApiConfig
from desktop.services.store import Cache, Changed, apply_local_edit, new_record_id, open_cache, outbox_counts
from desktop.services.store.rows import read_row
from desktop.services.store.schema import outbox
from desktop.services.sync import SyncEngine
from desktop.services.sync_live import BACKOFF_CAP_S, MAX_WAIT_S, SAFETY_SSE_DOWN_S, FullJitter
from desktop.services.sync_status import SyncStatus
from server.events import Event
from tests.e2e.conftest import ClientFactory, E2EServer
from tests.support.live import LiveServer, start_live_server

GUARD_S = 20.0  # failure guard for waits on real events; never reached when things work
RETRY_AFTER_S = 5


@dataclass
class Seen:
    at: float
    path: str
    status: int | None


@dataclass
class _Gate:
    """Records requests (with the injected time) and answers 503 for `blocked` paths while `down()`."""

    now: Callable[[], float] = lambda: 0.0
    down: Callable[[], bool] = lambda: False
    blocked: Callable[[str], bool] = lambda _path: True
    seen: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    app: FastAPI | None = None

    def install(self, app: FastAPI) -> None:
        self.app = app
        app.add_middleware(_GateMiddleware, gate=self)

    def hang_up_streams(self) -> None:
        """Send every open event stream a poke, so that listeners whose `run_forever` returned
        notice the stop and hang up (they only look after an event: see the module docstring)."""
        if self.app is not None:
            self.app.state.liaison.events.publish(Event("poke", {"head": 0}))

    def requests(self, path: str | None = None) -> list[Seen]:
        with self.lock:
            return [s for s in self.seen if path is None or s.path == path]


class _GateMiddleware:
    def __init__(self, app: ASGIApp, gate: _Gate) -> None:
        self.app = app
        self.gate = gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        refuse = self.gate.down() and self.gate.blocked(path)
        with self.gate.lock:
            self.gate.seen.append(Seen(self.gate.now(), path, 503 if refuse else None))
        if not refuse:
            await self.app(scope, receive, send)
            return
        body = {"error": {"code": "unavailable", "message": "maintenance", "details": {}}}
        response = Response(
            content=json.dumps(body).encode(),
            status_code=503,
            media_type="application/json",
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )
        await response(scope, receive, send)


class FakeTime:
    """An injected monotonic clock that `sleep` advances. It never passes `limit`: a sleep reaching
    it blocks until the test raises the limit or stops, so a loop with nothing to do does not spin."""

    def __init__(self) -> None:
        self.now = 0.0
        self.limit = math.inf
        self.stop = threading.Event()
        self.held = threading.Event()
        #: what the live loop asked to wait, and (when, how long) the API client waited between tries
        self.sleeps: list[float] = []
        self.api_sleeps: list[tuple[float, float]] = []
        self._cond = threading.Condition()

    def clock(self) -> float:
        with self._cond:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._cond:
            self.sleeps.append(seconds)
            target = self.now + max(seconds, 0.0)
            while target > self.limit and not self.stop.is_set():
                self.now = max(self.now, self.limit)
                self.held.set()
                if not self._cond.wait(GUARD_S):
                    raise AssertionError("the injected clock was held for too long")
            self.now = max(self.now, target)

    def api_sleep(self, seconds: float) -> None:
        with self._cond:
            self.api_sleeps.append((self.now, seconds))
            self.now += max(seconds, 0.0)

    def hold(self, limit: float) -> None:
        with self._cond:
            self.held.clear()
            self.limit = limit
            self._cond.notify_all()

    def wake(self) -> None:
        with self._cond:
            self._cond.notify_all()


@dataclass
class Live:
    """A desktop whose engine runs `run_forever` on a thread."""

    cache: Cache
    api: ApiClient
    engine: SyncEngine
    stop: threading.Event
    #: (clock time, status) of every status the engine announced
    statuses: list[tuple[float, SyncStatus]]
    wakers: list[Callable[[], None]] = field(default_factory=list)
    thread: threading.Thread | None = None

    def start(self) -> None:
        self.thread = threading.Thread(target=self.engine.run_forever, args=(self.stop,), daemon=True)
        self.thread.start()

    def halt(self) -> float:
        """Set the stop event; returns the real seconds `run_forever` took to return."""
        started = time.monotonic()
        self.stop.set()
        for wake in self.wakers:
            wake()
        if self.thread is not None:
            self.thread.join(GUARD_S)
            assert not self.thread.is_alive(), "run_forever did not stop"
        return time.monotonic() - started

    def row(self, entity: str, row_id: str) -> dict[str, Any] | None:
        with self.cache.read() as conn:
            found = read_row(conn, entity, row_id)
        return None if found is None else found[1]

    def mutation_ids(self) -> list[str]:
        with self.cache.read() as conn:
            query = outbox.select().with_only_columns(outbox.c.mutation_id)
            return [str(m) for m in conn.execute(query).scalars()]


LiveFactory = Callable[..., Live]


@pytest.fixture
def gated(e2e_server: E2EServer) -> Iterator[Callable[[_Gate], LiveServer]]:
    """The test's server database behind a `_Gate` (its own live server, stopped after the test)."""
    started: list[tuple[_Gate, LiveServer]] = []

    def start(gate: _Gate) -> LiveServer:
        started.append((gate, start_live_server(e2e_server.db_url, configure=gate.install)))
        return started[-1][1]

    yield start
    for gate, server in started:
        gate.hang_up_streams()
        server.stop()


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveFactory]:
    made: list[Live] = []

    def make(
        username: str,
        url: str,
        *,
        fake: FakeTime | None = None,
        on_changed: Callable[[Changed], None] | None = None,
        on_status: Callable[[SyncStatus], None] | None = None,
    ) -> Live:
        """Real time and waits without `fake`; else its clock, loop sleep and API sleep."""
        cache, _report = open_cache(tmp_path / "live" / f"{username}-{len(made)}" / "cache.db", None)
        api = ApiClient(ApiConfig(base_url=url), None, sleep=fake.api_sleep if fake else lambda _s: None)
        api.login(username, "demo")
        clock = fake.clock if fake else time.monotonic
        statuses: list[tuple[float, SyncStatus]] = []

        def status(value: SyncStatus) -> None:
            statuses.append((clock(), value))
            if on_status is not None:
                on_status(value)

        engine = SyncEngine(
            cache,
            api,
            clock=clock,
            sleep=fake.sleep if fake else None,
            rng=random.Random(11),
            on_status=status,
            on_changed=on_changed,
        )
        stop = fake.stop if fake else threading.Event()
        made.append(Live(cache, api, engine, stop, statuses, [fake.wake] if fake else []))
        return made[-1]

    yield make
    for item in made:
        item.halt()
        item.api.close()
        item.cache.close()


def _when(event: threading.Event, what: str) -> None:
    assert event.wait(GUARD_S), f"timed out waiting for {what}"


def test_a_poke_brings_another_clients_change(
    e2e_server: E2EServer, gated: Callable[[_Gate], LiveServer], live: LiveFactory, client: ClientFactory
) -> None:
    case_id = e2e_server.seed.case_id
    gate = _Gate()
    server = gated(gate)
    idle, arrived = threading.Event(), threading.Event()
    holder: list[Live] = []

    def changed(value: Changed) -> None:
        if case_id in value.ids("case") and (holder[0].row("case", case_id) or {}).get("subject") == "Poked":
            arrived.set()

    def status(value: SyncStatus) -> None:
        if value.state == "idle":
            idle.set()

    other = client("supervisor", url=server.url)
    other.engine.run_once()
    agent = live("agent", server.url, on_changed=changed, on_status=status)  # real time: SSE is real
    holder.append(agent)
    agent.start()
    _when(idle, "the first cycle")

    apply_local_edit(other.cache.writer, "case", case_id, "update", {"subject": "Poked"})
    edited = time.monotonic()
    other.engine.run_once()
    # the next safety pull is minutes away: only a poke brings the change within the guard
    _when(arrived, "the change to arrive through a poke")
    assert time.monotonic() - edited < SAFETY_SSE_DOWN_S
    assert gate.requests(EVENTS), "the engine never opened the event stream"
    assert agent.row("case", case_id)["subject"] == "Poked"  # type: ignore[index]
    assert agent.halt() < MAX_WAIT_S + 2.0


def test_without_sse_the_safety_pull_converges(
    e2e_server: E2EServer, gated: Callable[[_Gate], LiveServer], live: LiveFactory, client: ClientFactory
) -> None:
    case_id = e2e_server.seed.case_id
    fake = FakeTime()
    gate = _Gate(now=fake.clock, down=lambda: True, blocked=lambda path: path == EVENTS)
    server = gated(gate)
    arrivals: list[float] = []
    arrived = threading.Event()
    holder: list[Live] = []

    def changed(value: Changed) -> None:
        if case_id in value.ids("case") and (holder[0].row("case", case_id) or {}).get("subject") == "Safety":
            arrivals.append(fake.clock())
            arrived.set()

    other = client("supervisor", url=server.url)
    other.engine.run_once()
    agent = live("agent", server.url, fake=fake, on_changed=changed)
    holder.append(agent)
    fake.hold(SAFETY_SSE_DOWN_S / 2)
    agent.start()
    _when(fake.held, "the live loop to wait for its next safety pull")
    assert [s.state for _at, s in agent.statuses][-1] == "idle"

    apply_local_edit(other.cache.writer, "case", case_id, "update", {"subject": "Safety"})
    other.engine.run_once()
    fake.hold(SAFETY_SSE_DOWN_S * 1.5)
    _when(arrived, "the safety pull")
    assert arrivals == [pytest.approx(SAFETY_SSE_DOWN_S)]
    assert agent.row("case", case_id)["subject"] == "Safety"  # type: ignore[index]
    assert all(0 <= s <= MAX_WAIT_S for s in fake.sleeps)
    events = gate.requests(EVENTS)
    assert events and all(s.status == 503 for s in events)
    agent.halt()


OUTAGE = (10.0, 610.0)  # injected seconds: ten minutes of 503 (scenario 21)


def test_503_backs_off_and_loses_nothing(
    e2e_server: E2EServer, gated: Callable[[_Gate], LiveServer], live: LiveFactory
) -> None:
    case_id = e2e_server.seed.case_id
    start, end = OUTAGE
    fake = FakeTime()
    gate = _Gate(now=fake.clock, down=lambda: start <= fake.clock() < end)
    server = gated(gate)
    recovered = threading.Event()

    def status(value: SyncStatus) -> None:
        if value.state == "idle" and value.pending == 0 and fake.clock() >= end:
            recovered.set()

    agent = live("agent", server.url, fake=fake, on_status=status)
    agent.engine.run_once()  # primed before the outage
    apply_local_edit(agent.cache.writer, "case", case_id, "update", {"subject": "During the outage"})
    note_id = new_record_id()
    apply_local_edit(agent.cache.writer, "case_note", note_id, "append", {"case_id": case_id, "body": "hi"})
    recorded = agent.mutation_ids()
    assert len(recorded) == 2
    fake.now = start
    before = len(agent.statuses)
    fake.hold(end + BACKOFF_CAP_S + 4 * RETRY_AFTER_S)  # sync must resume by then (else: held, fails)
    agent.start()
    _when(recovered, "sync to resume after the outage")
    agent.halt()

    # the API client waited out Retry-After between tries, and no longer than its own cap
    config = agent.api.config
    assert fake.api_sleeps
    assert all(RETRY_AFTER_S <= s <= max(RETRY_AFTER_S, config.backoff_cap_s) for _at, s in fake.api_sleeps)
    # the loop's waits are short slices, and the delay between failed cycles follows FullJitter's cap
    assert all(0 <= s <= MAX_WAIT_S for s in fake.sleeps)
    jitter = FullJitter(random.Random(0))
    failures, failed_at, gaps = 0, None, []
    resumed_at = None
    for at, value in agent.statuses[before:]:
        if value.state in ("offline", "error"):
            failures += 1
            failed_at = at
        elif value.state == "syncing" and failed_at is not None:
            gaps.append(at - failed_at)
            assert at - failed_at <= jitter.ceiling(failures) + 1e-6, (failures, at - failed_at)
            failed_at = None
        elif value.state == "idle" and resumed_at is None:
            resumed_at = at
    assert failures >= 3 and len(gaps) >= 3
    assert resumed_at is not None and end <= resumed_at <= end + BACKOFF_CAP_S + RETRY_AFTER_S
    # no tight loop: every failed cycle spends at least three Retry-After waits (4 tries per call)
    refused = [s for s in gate.requests() if s.status == 503 and s.path != EVENTS]
    cycles_at_most = (end - start) / (3 * RETRY_AFTER_S) + 1
    assert failures <= cycles_at_most
    assert len(refused) <= config.max_attempts * cycles_at_most
    assert all(start <= s.at < end for s in refused)

    # 0 lost, 0 duplicated
    for mutation_id in recorded:
        rows = e2e_server.query("SELECT outcome FROM client_mutation WHERE mutation_id = :m", m=mutation_id)
        assert [r.outcome for r in rows] == ["applied"]
    assert len(e2e_server.query("SELECT 1 FROM case_note WHERE id = :i", i=note_id)) == 1
    rows = e2e_server.query("SELECT subject FROM support_case WHERE id = :i", i=case_id)
    assert rows[0].subject == "During the outage"
    with agent.cache.read() as conn:
        counts = outbox_counts(conn)
    assert (counts.pending, counts.acked, counts.rejected) == (0, 0, 0)


def test_stop_event_ends_run_forever_promptly(
    gated: Callable[[_Gate], LiveServer], live: LiveFactory
) -> None:
    server = gated(_Gate())
    idle = threading.Event()

    def status(value: SyncStatus) -> None:
        if value.state == "idle":
            idle.set()

    agent = live("agent", server.url, on_status=status)  # real time: the default interruptible wait
    agent.start()
    _when(idle, "the first cycle")
    assert agent.halt() < MAX_WAIT_S + 2.0
