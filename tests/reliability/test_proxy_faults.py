"""Scenario 5: 5 clients x a few sync cycles through the fault proxy, 10% of connections faulty
(latency with jitter, reset, hang, truncated response, slicing): every replica converges to the
server's per-scope checksums; 0 lost; 0 duplicated."""

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop.services.api import ApiClient
from desktop.services.api_errors import ApiError
from desktop.services.api_http import ApiConfig
from desktop.services.store import apply_local_edit, new_record_id, open_cache, outbox_counts
from desktop.services.store.schema import outbox
from desktop.services.sync import SyncEngine
from tests.e2e.conftest import BOTH_BACKENDS, Client, E2EServer
from tests.reliability.conftest import assert_exactly_once, server_notes, trials
from tests.support.fault_proxy import FaultProxy, ToxicConfig

USERS = ["agent", "agent", "agent", "supervisor", "supervisor"]
FAULTS = ToxicConfig(probability=0.1, latency_s=0.05, jitter_s=0.05, limit_bytes=120, slice_bytes=512)


def _no_wait(_seconds: float) -> None:
    return None


@pytest.fixture
def clients(tmp_path: Path, proxy: FaultProxy) -> Iterator[list[Client]]:
    made: list[Client] = []
    for n, username in enumerate(USERS):
        cache, _report = open_cache(tmp_path / f"client{n}" / "cache.db", None)
        # short timeouts: a hung connection costs a second, not thirty
        config = ApiConfig(base_url=proxy.url, connect_timeout_s=1.0, read_timeout_s=1.0, write_timeout_s=1.0)
        api = ApiClient(config, None, sleep=_no_wait)
        api.login(username, "demo")
        engine = SyncEngine(cache, api, clock=lambda: 0.0, sleep=_no_wait, rng=random.Random(n))
        made.append(Client(username, cache, api, engine))
    yield made
    for c in made:
        c.api.close()
        c.cache.close()


@BOTH_BACKENDS
def test_clients_converge_through_faults(
    e2e_server: E2EServer, proxy: FaultProxy, clients: list[Client]
) -> None:
    case_id = e2e_server.seed.case_id
    notes_before = server_notes(e2e_server)
    for c in clients:
        c.engine.run_once()
    proxy.configure(FAULTS)
    edits: list[dict[str, str]] = []
    failed = 0
    cycles = trials(5, 1000)
    for cycle in range(cycles):
        proxy.close_all()  # every cycle opens new connections, each with a 10% chance of a fault
        for n, c in enumerate(clients):
            note_id = new_record_id()
            apply_local_edit(
                c.cache.writer, "case_note", note_id, "append", {"case_id": case_id, "body": f"{n}/{cycle}"}
            )
            if n == 0:
                apply_local_edit(c.cache.writer, "case", case_id, "update", {"subject": f"cycle {cycle}"})
            with c.cache.read() as conn:
                for row in conn.execute(outbox.select().where(outbox.c.state == "pending")):
                    edit = {
                        "entity": str(row.entity),
                        "id": str(row.entity_id),
                        "mutation_id": str(row.mutation_id),
                    }
                    if edit not in edits:
                        edits.append(edit)
            try:
                c.engine.run_once()
            except ApiError:
                failed += 1
    assert sum(proxy.applied().values()) > 0, "no fault was injected: the run proves nothing"

    proxy.configure(ToxicConfig())
    proxy.close_all()
    for _round in range(2):  # everyone pushes, then everyone pulls everyone's changes
        for c in clients:
            c.engine.run_once()

    assert_exactly_once(e2e_server, edits, notes_before)
    assert len(edits) == len(USERS) * cycles + cycles
    for c in clients:
        with c.cache.read() as conn:
            counts = outbox_counts(conn)
        assert (counts.pending, counts.acked, counts.rejected, counts.conflicts) == (0, 0, 0, 0)
        assert c.checksums() == c.server_checksums()
        assert c.row("case", case_id)["subject"] == f"cycle {cycles - 1}"  # type: ignore[index]
    by_user: dict[str, dict[str, str]] = {}
    for c in clients:
        assert by_user.setdefault(c.username, c.checksums()) == c.checksums()
