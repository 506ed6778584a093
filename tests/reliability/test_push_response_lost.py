"""Scenario 6: the push response is lost after the server committed (the proxy's `limit_data` on
the push response): each mutation is applied exactly once; the client gets the stored result."""

import pytest

from desktop.services.api_errors import TransportError
from desktop.services.store import apply_local_edit, new_record_id, outbox_counts
from desktop.services.store.schema import acked_log, outbox
from tests.e2e.conftest import BOTH_BACKENDS, ClientFactory, E2EServer
from tests.reliability.conftest import assert_exactly_once, ledger, server_notes, trials
from tests.support.fault_proxy import FaultProxy, ToxicConfig

PUSH_REQUEST = b"POST /api/v1/sync/push"


@BOTH_BACKENDS
def test_lost_push_response_is_applied_once(
    e2e_server: E2EServer, client: ClientFactory, proxy: FaultProxy
) -> None:
    case_id = e2e_server.seed.case_id
    notes_before = server_notes(e2e_server)
    agent = client("agent", url=proxy.url)
    agent.engine.run_once()
    edits: list[dict[str, str]] = []
    for trial in range(trials(4, 500)):
        made = []
        for _ in range(2):
            note_id = new_record_id()
            apply_local_edit(
                agent.cache.writer, "case_note", note_id, "append", {"case_id": case_id, "body": "x"}
            )
            made.append({"entity": "case_note", "id": note_id})
        apply_local_edit(agent.cache.writer, "case", case_id, "update", {"subject": f"lost-{trial}"})
        made.append({"entity": "case", "id": case_id})
        with agent.cache.read() as conn:
            by_entity_id = {
                (str(r.entity), str(r.entity_id)): str(r.mutation_id) for r in conn.execute(outbox.select())
            }
        for edit in made:
            edit["mutation_id"] = by_entity_id[(edit["entity"], edit["id"])]
        edits += made

        # every push response is cut (after 0..200 bytes: before or inside the status line/headers)
        cut = ToxicConfig(
            probability=1.0, toxics=("limit_data",), limit_bytes=trial * 50, trigger=PUSH_REQUEST
        )
        proxy.configure(cut)
        proxy.close_all()
        truncated = proxy.counters["truncations_done"]
        with pytest.raises(TransportError):
            agent.engine.run_once()
        assert proxy.counters["truncations_done"] > truncated
        seen = ledger(e2e_server, [e["mutation_id"] for e in made], [])
        assert all(len(outcomes) == 1 for outcomes in seen.mutations.values())  # committed, once
        with agent.cache.read() as conn:
            assert outbox_counts(conn).pending == 3  # not acknowledged locally

        proxy.configure(ToxicConfig())
        proxy.close_all()
        agent.engine.run_once()
        with agent.cache.read() as conn:
            counts = outbox_counts(conn)
            acked = {str(r.mutation_id) for r in conn.execute(acked_log.select())}
        assert (counts.pending, counts.acked, counts.rejected) == (0, 0, 0)
        assert {e["mutation_id"] for e in made} <= acked  # the stored results were taken as acks

    assert_exactly_once(e2e_server, edits, notes_before)
    assert (
        e2e_server.query("SELECT subject FROM support_case WHERE id = :i", i=case_id)[0][0]
        == f"lost-{trials(4, 500) - 1}"
    )
    assert agent.checksums() == agent.server_checksums()
