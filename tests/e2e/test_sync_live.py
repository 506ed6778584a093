"""The live loop (`SyncEngine.run_forever`, `sync_live.LiveLoop`) against the real server (SQLite),
in a thread (SYNC.md §3, scenarios 21, 23).

- a change by another client arrives through an SSE poke (real time: nothing else could bring it
  within the failure guard, the safety pulls being minutes apart and the long-poll idle while SSE
  is up), and the cycle that brought it ran for a poke;
- with the event stream and the long-poll refused, the safety pull still converges, at the safety
  interval of an injected clock;
- requests run at once (leading edge): a local edit's cycle starts at the request's clock time;
  requests made during a cycle coalesce into one follow-up; a storm gets one cycle per
  `min_interval_s`;
- a server answering 503 with Retry-After for ten (injected) minutes: the retries follow the backoff
  caps, no tight loop, sync resumes after recovery and nothing is lost;
- `stop_event` ends the loop and its listener and long-poll threads, even with a long-poll waiting
  on the server (its connection is hung up).

The loop runs as `LiveLoop(engine, stop, timings).run()` (what `run_forever` does with the default
`LiveTimings`), so that tests can shorten or switch off parts. The server sits behind a small
middleware (`_Gate`) that records every request and answers 503 for the paths and times it is told to.
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

from desktop.services.api import EVENTS, PULL, ApiClient
from desktop.services.api_http import ApiConfig
from desktop.services.store import Cache, Changed, apply_local_edit, new_record_id, open_cache, outbox_counts
from desktop.services.store.rows import read_row
from desktop.services.store.schema import outbox
from desktop.services.sync import SyncEngine
from desktop.services.sync_live import (
    BACKOFF_CAP_S,
    MAX_WAIT_S,
    MIN_INTERVAL_S,
    SAFETY_SSE_DOWN_S,
    FullJitter,
    LiveLoop,
    LiveTimings,
)
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
    #: called with each request's path before it is answered (on the server's loop)
    on_request: Callable[[str], None] = lambda _path: None
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
            events = self.app.state.liaison.events
            events.publish(Event("poke", {"head": 0}))
            # and answer waiting long-polls (whose clients hung up) before the server stops
            events.publish_head(events.head + 1)

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
        self.gate.on_request(path)
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


#: the live loop without the long-poll fallback (tests of the safety pull and of backoff)
NO_LONG_POLL = LiveTimings(long_poll_ms=None)


class _Wake(threading.Event):
    """The engine's wake event, which also wakes a `FakeTime` sleep (as it wakes the real wait)."""

    def __init__(self, fake: "FakeTime") -> None:
        super().__init__()
        self._fake = fake

    def set(self) -> None:
        super().set()
        self._fake.wake()


class FakeTime:
    """An injected monotonic clock that `sleep` advances. It never passes `limit` while the loop is
    only waiting for a timer: a sleep reaching it blocks until the test raises the limit or stops,
    or until the engine is woken (a sync request, as the real interruptible wait), so a loop with
    nothing to do does not spin. A sleep towards a requested cycle (`requested()`: the debounce's
    spacing) does pass it, as real time would."""

    def __init__(self) -> None:
        self.now = 0.0
        self.limit = math.inf
        self.stop = threading.Event()
        self.held = threading.Event()
        #: what the live loop asked to wait, and (when, how long) the API client waited between tries
        self.sleeps: list[float] = []
        self.api_sleeps: list[tuple[float, float]] = []
        self._cond = threading.Condition()
        self.woken: _Wake | None = None
        self.requested: Callable[[], bool] = lambda: False

    def wake_event(self) -> _Wake:
        """An event for `engine.wake`: setting it ends a held `sleep` early."""
        self.woken = _Wake(self)
        return self.woken

    def advance(self, seconds: float) -> None:
        """Move the clock on (e.g. while the loop is blocked in a hung request)."""
        with self._cond:
            self.now += seconds

    def clock(self) -> float:
        with self._cond:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._cond:
            self.sleeps.append(seconds)
            target = self.now + max(seconds, 0.0)
            while target > self.limit and not self.stop.is_set():
                self.now = max(self.now, self.limit)
                if self.woken is not None and self.woken.is_set():
                    self.woken.clear()
                    return
                if self.requested():
                    break
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
    timings: LiveTimings = field(default_factory=LiveTimings)
    fake: "FakeTime | None" = None
    loop: LiveLoop | None = None
    thread: threading.Thread | None = None

    def start(self) -> LiveLoop:
        """`run_forever` with this desktop's timings, on a thread."""
        loop = self.loop = LiveLoop(self.engine, self.stop, self.timings)
        if self.fake is not None:
            self.fake.requested = lambda: loop.due() < loop.next_at
        self.thread = threading.Thread(target=self.loop.run, daemon=True)
        self.thread.start()
        return self.loop

    def helpers_ended(self) -> bool:
        """The loop's listener and long-poll threads are gone (after `halt`)."""
        loop = self.loop
        assert loop is not None
        threads = [loop.sse.thread] + ([loop.long_poll.thread] if loop.long_poll else [])
        return not any(t.is_alive() for t in threads)

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
        timings: LiveTimings | None = None,
        api_sleep: Callable[[float], None] | None = None,
        **config: Any,
    ) -> Live:
        """Real time and waits without `fake`; else its clock, loop sleep and API sleep (unless
        `api_sleep` is given). `config`: `ApiConfig` fields (e.g. timeouts)."""
        cache, _report = open_cache(tmp_path / "live" / f"{username}-{len(made)}" / "cache.db", None)
        if api_sleep is None:
            api_sleep = fake.api_sleep if fake else lambda _s: None
        api = ApiClient(ApiConfig(base_url=url, **config), None, sleep=api_sleep)
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
        if fake is not None:
            engine.wake = fake.wake_event()
        stop = fake.stop if fake else threading.Event()
        made.append(
            Live(
                cache,
                api,
                engine,
                stop,
                statuses,
                [fake.wake] if fake else [],
                timings or LiveTimings(),
                fake,
            )
        )
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
    why: list[frozenset[str]] = []

    def changed(value: Changed) -> None:
        if case_id in value.ids("case") and (holder[0].row("case", case_id) or {}).get("subject") == "Poked":
            assert holder[0].loop is not None
            why.append(holder[0].loop.reasons)  # on the loop's thread, during the cycle
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
    other.engine.run_once()
    # the next safety pull is minutes away: only a poke brings the change within the guard
    _when(arrived, "the change to arrive through a poke")
    assert len(why) == 1 and "poke" in why[0], why
    assert gate.requests(EVENTS), "the engine never opened the event stream"
    assert agent.row("case", case_id)["subject"] == "Poked"  # type: ignore[index]
    agent.halt()
    assert agent.helpers_ended()


def test_without_sse_the_safety_pull_converges(
    e2e_server: E2EServer, gated: Callable[[_Gate], LiveServer], live: LiveFactory, client: ClientFactory
) -> None:
    case_id = e2e_server.seed.case_id
    fake = FakeTime()
    gate = _Gate(now=fake.clock, down=lambda: True, blocked=lambda path: path == EVENTS)
    server = gated(gate)
    arrivals: list[float] = []
    why: list[frozenset[str]] = []
    arrived = threading.Event()
    holder: list[Live] = []

    def changed(value: Changed) -> None:
        if case_id in value.ids("case") and (holder[0].row("case", case_id) or {}).get("subject") == "Safety":
            arrivals.append(fake.clock())
            assert holder[0].loop is not None
            why.append(holder[0].loop.reasons)
            arrived.set()

    other = client("supervisor", url=server.url)
    other.engine.run_once()
    # the long-poll is off: this is the last resort when neither SSE nor the long-poll gets through
    agent = live("agent", server.url, fake=fake, on_changed=changed, timings=NO_LONG_POLL)
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
    assert why == [frozenset({"timer"})]
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

    # the long-poll's own retries would also advance the injected clock: this test is the loop's
    agent = live("agent", server.url, fake=fake, on_status=status, timings=NO_LONG_POLL)
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
    agent.halt()
    assert agent.helpers_ended()


def test_requests_run_at_once_coalesce_and_are_spaced(
    gated: Callable[[_Gate], LiveServer], live: LiveFactory, e2e_server: E2EServer
) -> None:
    """Leading edge: a local edit's cycle starts at the request's (injected) time, not after a
    debounce; requests during a cycle coalesce into exactly one follow-up; a storm of requests
    gets one cycle per `min_interval_s`. SSE and the long-poll are off: only the test asks."""
    fake = FakeTime()
    server = gated(_Gate(now=fake.clock, down=lambda: True, blocked=lambda path: path == EVENTS))
    starts: list[float] = []
    storm = {"left": 0}
    state = {"last": ""}
    holder: list[Live] = []

    def status(value: SyncStatus) -> None:
        if value.state == "syncing" and state["last"] != "syncing":
            starts.append(fake.clock())
            if storm["left"] > 0:
                storm["left"] -= 1
                for _ in range(3):  # during the cycle, on its thread
                    holder[0].engine.request_sync()
        state["last"] = value.state

    agent = live("agent", server.url, fake=fake, on_status=status, timings=NO_LONG_POLL)
    holder.append(agent)
    fake.hold(10.0)
    loop = agent.start()
    _when(fake.held, "the first cycle and the wait for the safety pull")
    assert starts == [0.0]

    storm["left"] = 5
    apply_local_edit(agent.cache.writer, "case", e2e_server.seed.case_id, "update", {"subject": "Now"})
    fake.held.clear()
    agent.engine.request_sync()  # the clock is held at 10: a cycle now needs no time to pass
    _when(fake.held, "the storm to end (then the wait for a safety pull)")
    expected = [10.0 + n * MIN_INTERVAL_S for n in range(6)]
    assert starts[1:] == [pytest.approx(t) for t in expected]
    assert loop.reason_counts["edit"] == 6
    assert agent.row("case", e2e_server.seed.case_id)["subject"] == "Now"  # type: ignore[index]
    agent.halt()


def test_stop_hangs_up_a_waiting_long_poll(gated: Callable[[_Gate], LiveServer], live: LiveFactory) -> None:
    """With SSE refused, the long-poll waits on the server (25 s, longer than the guard): stopping
    still ends the loop and its threads, because their connections are hung up."""
    idle, polled = threading.Event(), threading.Event()

    def request(path: str) -> None:
        if path == PULL and idle.is_set():
            polled.set()  # nothing but the long-poll pulls once the first cycle is done

    def status(value: SyncStatus) -> None:
        if value.state == "idle":
            idle.set()

    gate = _Gate(down=lambda: True, blocked=lambda path: path == EVENTS, on_request=request)
    server = gated(gate)
    agent = live("agent", server.url, on_status=status)  # real time, the default timings
    loop = agent.start()
    _when(polled, "the long-poll to reach the server")
    assert loop.long_poll is not None and loop.long_poll.polls >= 1
    assert not loop.sse.up
    agent.halt()
    assert agent.helpers_ended()
