"""Scenario 21: the server answers 503 (with Retry-After) to everything for ten minutes.

Simulated time: the engine's `run_forever` runs on a thread with `FakeTime` (tests/e2e/
test_sync_live.py), whose clock only its sleeps advance, and the server sits behind `_Gate`, which
records every request at that clock and refuses them during the outage. Nothing waits for real.

The agent has queued edits when the outage starts and keeps editing during it. Pass criteria:
- 0 lost, 0 duplicated: every edit is on the server exactly once afterwards;
- the retry rate stays within the backoff cap: counted per simulated minute, refused requests never
  exceed what the Retry-After waits allow (no tight loop), and no gap between tries exceeds the
  60 s cap (it keeps retrying on a timer, not only on the next local edit);
- sync resumes within 60 simulated seconds of the recovery;
- every replica's checksums equal the server's.
"""

import itertools
import math
import threading
from collections import Counter
from collections.abc import Callable

from desktop.services.api import EVENTS
from desktop.services.store import new_record_id, outbox_counts, scope_checksum, state
from desktop.services.sync_live import BACKOFF_CAP_S
from desktop.services.sync_status import SyncStatus
from tests.e2e import test_sync_live as live_harness
from tests.e2e.conftest import ClientFactory, E2EServer
from tests.e2e.test_sync_live import RETRY_AFTER_S, FakeTime, Live, LiveFactory, _Gate
from tests.reliability.conftest import assert_exactly_once, server_notes, trials
from tests.reliability.test_poison import record
from tests.support.live import LiveServer

# the harness's fixtures: the gated server and engines running `run_forever` on a thread
gated, live = live_harness.gated, live_harness.live

START, END = 30.0, 630.0  # simulated seconds: ten minutes of 503
MINUTE = 60.0
#: real seconds to wait for the engine thread: a failure guard only, generous for a loaded machine
#: (the outage costs about a hundred refused requests in real time)
GUARD_S = 120.0


def _when(event: threading.Event, what: str) -> None:
    assert event.wait(GUARD_S), f"timed out waiting for {what}"


def _edits(agent: Live, case_id: str, label: str) -> list[dict[str, str]]:
    made = [
        record(agent, "case", case_id, "update", {"subject": f"subject {label}"}),
        record(agent, "case_note", new_record_id(), "append", {"case_id": case_id, "body": label}),
    ]
    agent.engine.request_sync()  # what the GUI does after a local edit
    return made


def test_ten_minutes_of_503_lose_nothing_and_do_not_spin(
    e2e_server: E2EServer,
    gated: Callable[[_Gate], LiveServer],
    live: LiveFactory,
    client: ClientFactory,
) -> None:
    case_id = e2e_server.seed.case_id
    notes_before = server_notes(e2e_server)
    fake = FakeTime()
    gate = _Gate(now=fake.clock, down=lambda: START <= fake.clock() < END)
    server = gated(gate)
    recovered = threading.Event()

    def status(value: SyncStatus) -> None:
        if value.state == "idle" and value.pending == 0 and fake.clock() >= END:
            recovered.set()

    supervisor = client("supervisor", url=server.url)
    supervisor.engine.run_once()
    agent = live("agent", server.url, fake=fake, on_status=status)
    agent.engine.run_once()  # primed before the outage
    edits = [record(supervisor, "case", case_id, "update", {"priority": "high"})]
    supervisor.engine.run_once()  # a change the agent has not pulled yet
    edits += _edits(agent, case_id, "queued before")

    fake.now = START
    rounds = trials(2, 5)
    for n in range(rounds):  # the user keeps working while the server is down
        fake.hold(START + (END - START) * (n + 1) / (rounds + 1))
        if n == 0:
            agent.start()
        _when(fake.held, "the live loop to reach the next edit time")
        edits += _edits(agent, case_id, f"during {n}")
    mark = len(agent.statuses)
    fake.hold(END + BACKOFF_CAP_S + 4 * RETRY_AFTER_S)  # held there if sync has not resumed by then
    _when(recovered, "sync to resume after the outage")
    agent.halt()

    refused = [s.at for s in gate.requests() if s.status == 503 and s.path != EVENTS]
    assert refused and all(START <= at < END for at in refused)
    # per simulated minute: at most the tries that Retry-After lets through, plus one cycle's worth
    config = agent.api.config
    cycle_s = (config.max_attempts - 1) * RETRY_AFTER_S
    per_minute = Counter(int(at // MINUTE) for at in refused)
    ceiling = config.max_attempts * (math.floor(MINUTE / cycle_s) + 1)
    assert max(per_minute.values()) <= ceiling, per_minute
    # and it kept trying on a timer: no silence longer than the backoff cap
    times = [START, *sorted(refused)]
    assert max(b - a for a, b in itertools.pairwise(times)) <= BACKOFF_CAP_S + 1e-6
    assert END - times[-1] <= BACKOFF_CAP_S + cycle_s + 1e-6

    # resumed within 60 s of the recovery
    resumed = [at for at, s in agent.statuses[mark:] if s.state == "idle" and at >= END]
    assert resumed and resumed[0] - END <= BACKOFF_CAP_S

    supervisor.engine.run_once()
    # 0 lost, 0 duplicated
    assert_exactly_once(e2e_server, edits, notes_before)
    assert e2e_server.query("SELECT subject, priority FROM support_case WHERE id = :i", i=case_id)[0] == (
        f"subject during {rounds - 1}",
        "high",
    )
    assert agent.row("case", case_id)["priority"] == "high"  # type: ignore[index]
    with agent.cache.read() as conn:
        counts = outbox_counts(conn)
    assert (counts.pending, counts.acked, counts.rejected) == (0, 0, 0)
    scopes = agent.engine.scopes()
    with agent.cache.read() as conn:
        agent_id = state.read_state(conn).client_id
        mine = {s: scope_checksum(conn, s)[1] for s in scopes}
    assert mine == {s: agent.api.scope_checksum(s, agent_id).checksum for s in scopes}
    assert supervisor.checksums() == supervisor.server_checksums()
