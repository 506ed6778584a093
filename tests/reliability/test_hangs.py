"""Scenario 22 (SYNC.md §5): a hung connection (the proxy's `hang`, Toxiproxy's `timeout=0`) during
pull and during push, with the live loop running.

The hang targets one endpoint (`trigger`); the API client keeps its default 30 s read timeout,
longer than the failure guard, so only the stall watchdog can end the hung request in time. The
loop's clock is injected (`FakeTime`): once the proxy reports the hang, the test clears the fault
for new connections (the hung one stays hung) and moves the clock on by 60 s; the watchdog
(looking every 50 ms of real time) must abort the cycle by hanging up its connection, and the
retry must complete the sync: 0 lost, 0 duplicated, checksums equal to the server's. With
`hang_forwards` the push reaches the server, which commits, and only the answer is lost.
"""

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from desktop.services.store import Changed, apply_local_edit, new_record_id, outbox_counts
from desktop.services.store.schema import outbox
from desktop.services.sync_live import LiveTimings
from desktop.services.sync_status import SyncStatus
from tests.e2e.conftest import Client, ClientFactory, E2EServer
from tests.e2e.test_sync_live import GUARD_S, FakeTime, Live, live  # noqa: F401 (the fixture)
from tests.reliability.conftest import assert_exactly_once, server_notes, trials
from tests.support.fault_proxy import FaultProxy, ToxicConfig

PULL_REQUEST = b"POST /api/v1/sync/pull"
PUSH_REQUEST = b"POST /api/v1/sync/push"
#: SYNC.md §5 #22: the watchdog aborts within 60 s, sync completes within 2 min of the fault clearing
ABORT_WITHIN_S = 60.0
COMPLETE_WITHIN_S = 120.0
TIMINGS = LiveTimings(watchdog_tick_s=0.05)


@dataclass
class Watch:
    """The (injected) clock times at which the loop failed and became idle with nothing pending."""

    fake: FakeTime
    failed: threading.Event = field(default_factory=threading.Event)
    synced: threading.Event = field(default_factory=threading.Event)
    failures: list[float] = field(default_factory=list)
    idle_at: list[float] = field(default_factory=list)
    armed: bool = False

    def status(self, value: SyncStatus) -> None:
        if value.state in ("offline", "error"):
            self.failures.append(self.fake.clock())
            self.failed.set()
        elif self.armed and value.state == "idle" and value.pending == 0:
            self.idle_at.append(self.fake.clock())
            self.synced.set()


def _when(event: threading.Event, what: str) -> None:
    assert event.wait(GUARD_S), f"timed out waiting for {what}"


def _hung_cycle(proxy: FaultProxy, agent: Live, watch: Watch, fake: FakeTime) -> float:
    """Start the loop into the hang, clear the fault, move the clock on: returns the abort time."""
    loop = agent.start()
    assert proxy.wait_count("hangs_done", 1, GUARD_S), "the request never hung"
    hung_since = agent.engine.last_progress
    assert agent.engine.busy and not watch.failed.is_set()
    proxy.configure(ToxicConfig())  # the fault clears for new connections; the hung one stays
    watch.armed = True
    fake.advance(ABORT_WITHIN_S)
    _when(watch.failed, "the watchdog to abort the hung cycle")
    assert loop.stalls == 1, "the cycle ended without the watchdog: the test proves nothing"
    assert watch.failures[0] - hung_since <= ABORT_WITHIN_S
    return watch.failures[0]


def _converged(server: E2EServer, agent: Live) -> None:
    with agent.cache.read() as conn:
        counts = outbox_counts(conn)
    assert (counts.pending, counts.acked, counts.rejected, counts.conflicts) == (0, 0, 0, 0)
    mirror = Client("agent", agent.cache, agent.api, agent.engine)
    assert mirror.checksums() == mirror.server_checksums()


LiveFactory = Callable[..., Live]


@pytest.mark.parametrize("trial", range(trials(1, 20)))
def test_a_hung_pull_is_aborted_and_the_change_arrives(
    trial: int,
    e2e_server: E2EServer,
    proxy: FaultProxy,
    live: LiveFactory,  # noqa: F811 (the imported fixture)
    client: ClientFactory,
) -> None:
    case_id = e2e_server.seed.case_id
    fake = FakeTime()
    watch = Watch(fake)
    arrived = threading.Event()
    holder: list[Live] = []
    subject = f"After the hang {trial}"

    def changed(value: Changed) -> None:
        if case_id in value.ids("case") and (holder[0].row("case", case_id) or {}).get("subject") == subject:
            arrived.set()

    agent = live("agent", proxy.url, fake=fake, timings=TIMINGS, on_status=watch.status, on_changed=changed)
    holder.append(agent)
    agent.engine.run_once()
    other = client("supervisor")
    other.engine.run_once()
    apply_local_edit(other.cache.writer, "case", case_id, "update", {"subject": subject})
    other.engine.run_once()
    proxy.configure(ToxicConfig(probability=1.0, toxics=("hang",), trigger=PULL_REQUEST))
    proxy.close_all()
    fake.hold(10 * COMPLETE_WITHIN_S)

    aborted = _hung_cycle(proxy, agent, watch, fake)
    _when(arrived, "the change to arrive after the fault cleared")
    _when(watch.synced, "the sync to complete")
    assert watch.idle_at[0] - aborted <= COMPLETE_WITHIN_S
    agent.halt()
    assert agent.row("case", case_id)["subject"] == subject  # type: ignore[index]
    _converged(e2e_server, agent)


@pytest.mark.parametrize("trial", range(trials(1, 20)))
@pytest.mark.parametrize("forwards", [False, True], ids=["lost-request", "lost-answer"])
def test_a_hung_push_is_aborted_and_applied_once(
    trial: int,
    forwards: bool,
    e2e_server: E2EServer,
    proxy: FaultProxy,
    live: LiveFactory,  # noqa: F811 (the imported fixture)
) -> None:
    case_id = e2e_server.seed.case_id
    notes_before = server_notes(e2e_server)
    fake = FakeTime()
    watch = Watch(fake)
    agent = live("agent", proxy.url, fake=fake, timings=TIMINGS, on_status=watch.status)
    agent.engine.run_once()
    note_id = new_record_id()
    apply_local_edit(agent.cache.writer, "case_note", note_id, "append", {"case_id": case_id, "body": "hung"})
    apply_local_edit(agent.cache.writer, "case", case_id, "update", {"subject": f"hung push {trial}"})
    with agent.cache.read() as conn:
        edits = [
            {"entity": str(r.entity), "id": str(r.entity_id), "mutation_id": str(r.mutation_id)}
            for r in conn.execute(outbox.select())
        ]
    assert len(edits) == 2
    proxy.configure(
        ToxicConfig(probability=1.0, toxics=("hang",), trigger=PUSH_REQUEST, hang_forwards=forwards)
    )
    proxy.close_all()
    fake.hold(10 * COMPLETE_WITHIN_S)

    aborted = _hung_cycle(proxy, agent, watch, fake)
    _when(watch.synced, "the push to complete after the fault cleared")
    assert watch.idle_at[0] - aborted <= COMPLETE_WITHIN_S
    agent.halt()
    assert_exactly_once(e2e_server, edits, notes_before)
    rows = e2e_server.query("SELECT subject FROM support_case WHERE id = :i", i=case_id)
    assert rows[0].subject == f"hung push {trial}"
    _converged(e2e_server, agent)
