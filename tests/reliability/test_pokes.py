"""Scenario 23 (SYNC.md §5): SSE pokes dropped or SSE blocked, and prompt pokes when they work.

- **Pokes never delivered** (a proxy that buffers the event stream: it connects, nothing arrives):
  the long-poll fallback brings every change while the injected clock is held below the safety
  interval, so the safety pull cannot be what brought it; the cycle that applied it ran for the
  long-poll. The desktop's own edits are pushed at once meanwhile.
- **SSE and the long-poll both refused** (connection reset): the safety pull converges, at the
  safety interval of the injected clock.
- **Pokes working**: two desktops run `run_forever` on threads against the real server (real
  time); each edit made on one reaches the other in a cycle that ran for a poke (the safety pull is
  minutes away and the long-poll idle while SSE is up). Latency is measured in bench/, not here.

Each ends with 0 lost, 0 duplicated and checksums equal to the server's.
"""

import json
import threading
from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI

from desktop.services.store import Cache, Changed, apply_local_edit, new_record_id, outbox_counts
from desktop.services.store.schema import acked_log, outbox
from desktop.services.sync_live import LONG_POLL_MS, SAFETY_SSE_DOWN_S
from desktop.services.sync_status import SyncStatus
from tests.e2e.conftest import Client, ClientFactory, E2EServer
from tests.e2e.test_sync_live import GUARD_S, FakeTime, Live, live  # noqa: F401 (the fixture)
from tests.reliability.conftest import assert_exactly_once, server_notes, trials
from tests.support.fault_proxy import FaultProxy, ToxicConfig

EVENTS_REQUEST = b"GET /api/v1/sync/events"
LONG_POLL_BODY = f'"wait_ms":{LONG_POLL_MS}'.encode()

LiveFactory = Callable[..., Live]


def _when(event: threading.Event, what: str) -> None:
    assert event.wait(GUARD_S), f"timed out waiting for {what}"


def _no_wait(_seconds: float) -> None:
    return None


@pytest.fixture
def release_long_polls(e2e_server: E2EServer) -> Iterator[None]:
    """After the test (and after the desktops stopped: request it before `live`), answer long-polls
    still waiting on the server (their clients hung up), so that stopping the server does not
    cancel them mid-request."""
    yield
    if e2e_server.live is not None:
        app = e2e_server.live.server.config.app
        assert isinstance(app, FastAPI)
        events = app.state.liaison.events
        events.publish_head(events.head + 1)


class Arrivals:
    """Sets an event when a case's subject reaches the expected value in a desktop's cache, and
    keeps why the cycle that applied it ran and the (injected or real) clock then."""

    def __init__(self, case_id: str, clock: Callable[[], float]) -> None:
        self.case_id = case_id
        self.clock = clock
        self.expected = ""
        self.arrived = threading.Event()
        self.reasons: list[frozenset[str]] = []
        self.at: list[float] = []
        self.live: Live | None = None
        #: a cycle run for a local edit ended idle with nothing pending
        self.pushed = threading.Event()

    def status(self, value: SyncStatus) -> None:
        loop = self.live.loop if self.live is not None else None
        if loop is not None and value.state == "idle" and value.pending == 0 and "edit" in loop.reasons:
            self.pushed.set()

    def expect(self, subject: str) -> None:
        self.expected = subject
        self.arrived.clear()

    def changed(self, value: Changed) -> None:
        desk = self.live
        if desk is None or desk.loop is None or self.case_id not in value.ids("case"):
            return
        if (desk.row("case", self.case_id) or {}).get("subject") == self.expected:
            self.reasons.append(desk.loop.reasons)  # on the loop's thread, during the cycle
            self.at.append(self.clock())
            self.arrived.set()


def _note(desk: Live, case_id: str, body: str) -> str:
    """Append a note and ask for a cycle (pushed at once); returns the note's id."""
    note_id = new_record_id()
    apply_local_edit(desk.cache.writer, "case_note", note_id, "append", {"case_id": case_id, "body": body})
    desk.engine.request_sync()
    return note_id


def _recorded(caches: list[Cache]) -> list[dict[str, str]]:
    """Every mutation the desktops made: still in the outbox, or acknowledged (the acked log)."""
    edits: list[dict[str, str]] = []
    for cache in caches:
        with cache.read() as conn:
            for row in conn.execute(outbox.select()):
                edits.append({"entity": row.entity, "id": row.entity_id, "mutation_id": row.mutation_id})
            for row in conn.execute(acked_log.select()):
                payload = json.loads(row.payload)
                edits.append(
                    {"entity": payload["entity"], "id": payload["entity_id"], "mutation_id": row.mutation_id}
                )
    return edits


def _check_ledger(server: E2EServer, caches: list[Cache], notes: list[str], notes_before: int) -> None:
    """0 lost, 0 duplicated, over every mutation made; every note the test created is among them."""
    edits = _recorded(caches)
    assert set(notes) <= {e["id"] for e in edits if e["entity"] == "case_note"}
    assert_exactly_once(server, edits, notes_before)


def _settled(item: Live) -> Client:
    with item.cache.read() as conn:
        counts = outbox_counts(conn)
    assert (counts.pending, counts.rejected, counts.conflicts) == (0, 0, 0)
    mirror = Client(item.api.user.username if item.api.user else "", item.cache, item.api, item.engine)
    assert mirror.checksums() == mirror.server_checksums()
    return mirror


def test_buffered_sse_falls_back_to_the_long_poll(
    e2e_server: E2EServer,
    release_long_polls: None,
    proxy: FaultProxy,
    live: LiveFactory,  # noqa: F811 (the imported fixture)
    client: ClientFactory,
) -> None:
    case_id = e2e_server.seed.case_id
    notes_before = server_notes(e2e_server)
    fake = FakeTime()
    arrivals = Arrivals(case_id, fake.clock)
    proxy.configure(ToxicConfig(probability=1.0, toxics=("buffer",), trigger=EVENTS_REQUEST))
    agent = live("agent", proxy.url, fake=fake, on_changed=arrivals.changed, on_status=arrivals.status)
    arrivals.live = agent
    other = client("supervisor")
    other.engine.run_once()
    fake.hold(SAFETY_SSE_DOWN_S / 2)  # the safety pull (at 60 s) can never run
    loop = agent.start()
    _when(fake.held, "the first cycle")
    notes: list[str] = []

    for trial in range(trials(3, 50)):
        subject = f"long-polled {trial}"
        arrivals.expect(subject)
        apply_local_edit(other.cache.writer, "case", case_id, "update", {"subject": subject})
        other.engine.run_once()
        _when(arrivals.arrived, f"change {trial} through the long-poll")
        arrivals.pushed.clear()
        notes.append(_note(agent, case_id, f"from the agent {trial}"))
        _when(arrivals.pushed, f"the agent's note {trial} to be pushed")
    assert all("long_poll" in why for why in arrivals.reasons), arrivals.reasons
    assert all(at < SAFETY_SSE_DOWN_S for at in arrivals.at)
    assert proxy.applied().get("buffer", 0) >= 1 and loop.sse.pokes == 0 and not loop.sse.up
    assert loop.long_poll is not None and loop.long_poll.polls >= trials(3, 50)

    agent.halt()
    agent.engine.run_once()  # quiescence: whatever the last cycle left
    _check_ledger(e2e_server, [agent.cache, other.cache], notes, notes_before)
    _settled(agent)


def test_blocked_sse_and_long_poll_converge_at_the_safety_pull(
    e2e_server: E2EServer,
    proxy: FaultProxy,
    live: LiveFactory,  # noqa: F811 (the imported fixture)
    client: ClientFactory,
) -> None:
    case_id = e2e_server.seed.case_id
    fake = FakeTime()
    arrivals = Arrivals(case_id, fake.clock)
    blocked = ToxicConfig(probability=1.0, toxics=("reset_peer",), trigger=(EVENTS_REQUEST, LONG_POLL_BODY))
    proxy.configure(blocked)
    # the API client's retry waits are skipped (not on the loop's clock): only the loop moves time
    agent = live("agent", proxy.url, fake=fake, on_changed=arrivals.changed, api_sleep=_no_wait)
    arrivals.live = agent
    other = client("supervisor")
    other.engine.run_once()
    fake.hold(SAFETY_SSE_DOWN_S / 2)
    loop = agent.start()
    _when(fake.held, "the first cycle")
    assert loop.long_poll is not None
    assert proxy.wait_count("resets_done", 2, GUARD_S), "SSE or the long-poll was never refused"

    arrivals.expect("safety")
    apply_local_edit(other.cache.writer, "case", case_id, "update", {"subject": "safety"})
    other.engine.run_once()
    fake.hold(SAFETY_SSE_DOWN_S * 1.5)
    _when(arrivals.arrived, "the safety pull")
    assert arrivals.at == [pytest.approx(SAFETY_SSE_DOWN_S)]
    assert arrivals.reasons == [frozenset({"timer"})]
    assert loop.sse.pokes == 0 and loop.long_poll.polls >= 1
    agent.halt()
    _settled(agent)


def test_pokes_bring_each_desktops_edits_to_the_other(
    e2e_server: E2EServer,
    release_long_polls: None,
    live: LiveFactory,  # noqa: F811 (the imported fixture)
) -> None:
    case_id = e2e_server.seed.case_id
    notes_before = server_notes(e2e_server)
    ready = {name: threading.Event() for name in ("agent", "supervisor")}
    desks: dict[str, Live] = {}
    seen: dict[str, Arrivals] = {}
    for name in ("agent", "supervisor"):
        seen[name] = Arrivals(case_id, lambda: 0.0)

        def status(value: SyncStatus, name: str = name) -> None:
            if value.state == "idle":
                ready[name].set()

        desks[name] = live(name, e2e_server.url, on_changed=seen[name].changed, on_status=status)
        seen[name].live = desks[name]
    for name, desk in desks.items():
        desk.start()
        _when(ready[name], f"the {name}'s first cycle")

    notes: list[str] = []
    for trial in range(trials(4, 50)):
        writer, reader = ("agent", "supervisor") if trial % 2 == 0 else ("supervisor", "agent")
        subject = f"poked {trial}"
        seen[reader].expect(subject)
        apply_local_edit(desks[writer].cache.writer, "case", case_id, "update", {"subject": subject})
        notes.append(_note(desks[writer], case_id, f"{writer} {trial}"))  # the cycle starts at once
        _when(seen[reader].arrived, f"edit {trial} to reach the {reader}")
        assert "poke" in seen[reader].reasons[-1], seen[reader].reasons
    for desk in desks.values():
        assert desk.loop is not None and desk.loop.sse.pokes > 0
        assert desk.loop.long_poll is not None

    for desk in desks.values():
        desk.halt()
    for desk in desks.values():
        desk.engine.run_once()  # quiescence: settle what the last cycles left
    for desk in desks.values():
        desk.engine.run_once()
    _check_ledger(e2e_server, [d.cache for d in desks.values()], notes, notes_before)
    sums = {name: _settled(desk).checksums() for name, desk in desks.items()}
    assert all(
        desk.row("case", case_id)["subject"] == f"poked {trials(4, 50) - 1}" for desk in desks.values()
    )  # type: ignore[index]
    assert sums["agent"].keys() & sums["supervisor"].keys()
    assert all(
        sums["agent"][s] == sums["supervisor"][s] for s in sums["agent"].keys() & sums["supervisor"].keys()
    )
