"""Scenario 12: append storm. Ten clients (five agent desktops, five supervisor desktops) each
append `trials(30, 1000)` notes to one case while offline (1,000 each in the full run), then all push at
once, on ten threads, through the fault proxy:

1. every push response is cut after the server committed (`limit_data` triggered by the push
   request): the engine's API client re-sends the same body on a new connection, up to its attempt
   limit, and each re-delivery is answered from the dedupe table (and cut again);
2. then a random 30% of connections are cut after the push or reset mid-request, and every client
   syncs until its outbox is drained; each client finally re-sends its original batches once more
   (stale duplicate deliveries), which must be answered with the stored results.

Checked: the server holds exactly 10 x N new notes (each once: 0 lost, 0 duplicated), 0 conflict
records, nothing rejected, every outbox drained, and every replica's per-scope checksums equal the
server's (and each other's for the shared queue scope).
"""

import random
import threading
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import pytest

from desktop.services.api import ApiClient
from desktop.services.api_errors import ApiError
from desktop.services.api_http import ApiConfig
from desktop.services.store import apply_local_edit, new_record_id, open_cache, outbox_counts
from desktop.services.sync import SyncEngine
from tests.api.sync_helpers import login
from tests.e2e.conftest import Client, E2EServer
from tests.reliability.conftest import assert_exactly_once, server_notes, trials
from tests.reliability.test_redelivery import outbox_edits, pending_requests, post
from tests.support.fault_proxy import FaultProxy, ToxicConfig
from wire.sync import MAX_MUTATIONS_PER_PUSH

USERS = ["agent", "supervisor"] * 5
PUSH_REQUEST = b"POST /api/v1/sync/push"
#: syncs a client may need before its outbox is drained under 30% faulty connections
MAX_CYCLES = 60
JOIN_S = 600.0


def _no_wait(_seconds: float) -> None:
    return None


@pytest.fixture
def clients(tmp_path: Path, proxy: FaultProxy) -> Iterator[list[Client]]:
    made: list[Client] = []
    for n, username in enumerate(USERS):
        cache, _report = open_cache(tmp_path / f"client{n}" / "cache.db", None)
        # three attempts per request: a lost push response is re-delivered twice before giving up
        api = ApiClient(ApiConfig(base_url=proxy.url, max_attempts=3), None, sleep=_no_wait)
        api.login(username, "demo")
        engine = SyncEngine(cache, api, clock=lambda: 0.0, sleep=_no_wait, rng=random.Random(n))
        made.append(Client(username, cache, api, engine))
    yield made
    for c in made:
        c.api.close()
        c.cache.close()


def on_threads(clients: list[Client], work: Callable[[Client], None]) -> list[BaseException]:
    """Run `work(client)` for every client at once, one thread each; the exceptions they raised."""
    errors: list[BaseException] = []
    start = threading.Barrier(len(clients))

    def run(c: Client) -> None:
        start.wait(JOIN_S)
        try:
            work(c)
        except BaseException as exc:  # reported by the test thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(c,), name=f"storm-{n}") for n, c in enumerate(clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(JOIN_S)
    assert not any(th.is_alive() for th in threads)
    return errors


def test_append_storm(e2e_server: E2EServer, proxy: FaultProxy, clients: list[Client]) -> None:
    case_id = e2e_server.seed.case_id
    notes_before = server_notes(e2e_server)
    conflicts_before = e2e_server.query("SELECT count(*) FROM sync_conflict")[0][0]
    per_client = trials(30, 1000)
    edits: list[dict[str, str]] = []
    bodies: dict[str, list[bytes]] = {}  # client id -> its push bodies, as first sent
    for n, c in enumerate(clients):  # offline (signed in, never synced): the notes wait in the outbox
        for i in range(per_client):
            apply_local_edit(
                c.cache.writer,
                "case_note",
                new_record_id(),
                "append",
                {"case_id": case_id, "body": f"{n}/{i}"},
            )
        edits += outbox_edits(c.cache)
        bodies[c.client_id] = pending_requests(c.cache)
    assert len(edits) == len(USERS) * per_client

    # 1. every push response is lost after the commit; the API client re-sends, in vain
    proxy.configure(
        ToxicConfig(probability=1.0, toxics=("limit_data",), limit_bytes=40, trigger=PUSH_REQUEST)
    )
    proxy.close_all()

    def push_lost(c: Client) -> None:
        with pytest.raises(ApiError):
            c.engine.run_once()

    assert not on_threads(clients, push_lost)
    assert proxy.counters["truncations_done"] >= len(clients) * 2  # each push re-sent at least once
    # each client's first batch was committed once, though its answer was lost every time
    first_batch = min(per_client, MAX_MUTATIONS_PER_PUSH)
    assert server_notes(e2e_server) == notes_before + len(clients) * first_batch

    # 2. random resets and lost responses on 30% of connections, until every outbox is drained
    proxy.configure(
        ToxicConfig(
            probability=0.3, toxics=("limit_data", "reset_peer"), limit_bytes=40, trigger=PUSH_REQUEST
        )
    )
    proxy.close_all()
    faults_before = sum(proxy.applied().values())

    def drain(c: Client) -> None:
        for _cycle in range(MAX_CYCLES):
            try:
                c.engine.run_once()
            except ApiError:
                continue
            with c.cache.read() as conn:
                if outbox_counts(conn).pending == 0:
                    break
        else:
            raise AssertionError(f"the outbox was not drained in {MAX_CYCLES} sync cycles")
        with closing(login(e2e_server.url, c.username)) as http:  # stale duplicate deliveries
            for body in bodies[c.client_id]:
                assert all(r["outcome"] == "applied" for r in post(http, body))

    assert not on_threads(clients, drain)
    assert sum(proxy.applied().values()) > faults_before  # faults happened while draining too

    proxy.configure(ToxicConfig())
    proxy.close_all()
    for c in clients:  # everyone pulls everyone's notes
        c.engine.run_once()

    assert_exactly_once(e2e_server, edits, notes_before)
    assert server_notes(e2e_server) == notes_before + len(USERS) * per_client
    assert e2e_server.query("SELECT count(*) FROM sync_conflict")[0][0] == conflicts_before == 0
    assert e2e_server.query("SELECT count(*) FROM rejected_mutation")[0][0] == 0
    shared = f"queue:{e2e_server.seed.data.queue_ids[0]}"
    for c in clients:
        with c.cache.read() as conn:
            counts = outbox_counts(conn)
        assert (counts.pending, counts.acked, counts.rejected, counts.conflicts) == (0, 0, 0, 0)
        mine = c.checksums()
        assert mine == c.server_checksums()
        assert mine[shared] == clients[0].checksums()[shared]
