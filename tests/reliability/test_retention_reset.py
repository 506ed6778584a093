"""Scenario 16: a cursor below `min_retained_seq` after a long absence.

Two desktops go away with pending offline edits (an agent and a field rep) while a supervisor keeps
working: many edits, new customers, and the deletion of a customer the absent ones hold. Then the
server purges its change log and tombstones (`liaison-server purge --days 0`: a retention window
that everything is older than). When the absent desktops come back, each scope that missed purged
changes answers `mode: "reset"` and is primed again from a snapshot; the pending edits survive the
reset (still visible, still queued), are pushed and merge with the supervisor's; every replica's
checksums equal the server's, and nothing is lost or duplicated.
"""

import pytest
from sqlalchemy import select

from desktop.services.store import new_record_id, outbox_counts, state
from desktop.services.store.schema import outbox
from server.cli import main as server_cli
from tests.e2e.conftest import Client, ClientFactory, E2EServer
from tests.reliability.conftest import assert_exactly_once, server_notes, trials
from tests.reliability.test_poison import record


def _pending(c: Client) -> set[str]:
    with c.cache.read() as conn:
        query = select(outbox.c.mutation_id).where(outbox.c.state == "pending")
        return {str(m) for m in conn.execute(query).scalars()}


def _min_retained(server: E2EServer) -> int:
    return int(server.query("SELECT min_retained_seq FROM server_meta")[0][0])


def test_absent_clients_reset_to_a_snapshot_and_keep_their_edits(
    e2e_server: E2EServer, client: ClientFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    seed = e2e_server.seed
    territory = seed.data.territory_ids[0]
    notes_before = server_notes(e2e_server)
    supervisor, away, rep = client("supervisor"), client("agent", profile="away"), client("fieldrep")
    doomed = record(
        supervisor,
        "customer",
        new_record_id(),
        "create",
        {"display_name": "Doomed", "territory_id": territory},
    )
    for c in (supervisor, away, rep, supervisor):
        c.engine.run_once()
    assert away.row("customer", doomed["id"]) is not None and rep.row("customer", doomed["id"]) is not None

    # the absent desktops' offline edits: different fields from the supervisor's, so they merge
    edits: list[dict[str, str]] = [doomed]
    offline: list[dict[str, str]] = []
    for n in range(trials(3, 20)):
        offline.append(record(away, "case", seed.case_id, "update", {"subject": f"offline subject {n}"}))
        offline.append(
            record(
                away, "case_note", new_record_id(), "append", {"case_id": seed.case_id, "body": f"away {n}"}
            )
        )
        offline.append(record(away, "customer", seed.customer_id, "update", {"display_name": f"Ada {n}"}))
        offline.append(record(rep, "customer", seed.customer_id, "update", {"region": f"region {n}"}))
    queued = {"away": _pending(away), "rep": _pending(rep)}
    with away.cache.read() as conn:
        cursors = {n: s.cursor for n, s in state.read_state(conn).scopes.items()}

    # meanwhile the supervisor works on: many changes, one deletion of a row the others hold
    for n in range(3 * trials(3, 20)):
        edits.append(record(supervisor, "case", seed.case_id, "update", {"description": f"desc {n}"}))
        edits.append(record(supervisor, "customer", seed.customer_id, "update", {"organisation": f"Org {n}"}))
        edits.append(
            record(
                supervisor,
                "case_note",
                new_record_id(),
                "append",
                {"case_id": seed.case_id, "body": f"sup {n}"},
            )
        )
        edits.append(
            record(
                supervisor,
                "customer",
                new_record_id(),
                "create",
                {"display_name": f"C{n}", "territory_id": territory},
            )
        )
        supervisor.engine.run_once()
    edits.append(record(supervisor, "customer", doomed["id"], "delete", {}))
    supervisor.engine.run_once()
    supervisor.engine.run_once()
    [(head,)] = e2e_server.query("SELECT value FROM sync_counter")

    before = _min_retained(e2e_server)
    assert server_cli(["purge", "--database", e2e_server.db_url, "--days", "0"]) == 0
    assert "re-prime" in capsys.readouterr().out
    assert _min_retained(e2e_server) > before
    assert _min_retained(e2e_server) == int(head) + 1  # the whole log and the tombstone are gone
    assert not e2e_server.query("SELECT 1 FROM customer WHERE id = :i", i=doomed["id"])

    # the agent comes back; its pull meets the purge while its edits are still queued
    summary = away.engine.puller.pull_all(away.engine.scopes())
    assert {"directory", f"queue:{seed.data.queue_ids[0]}"} <= summary.reset
    assert _pending(away) == queued["away"]  # the reset kept the outbox
    last = trials(3, 20) - 1
    case = away.row("case", seed.case_id)
    customer = away.row("customer", seed.customer_id)
    assert case is not None and customer is not None
    assert (case["subject"], case["description"]) == (
        f"offline subject {last}",
        f"desc {3 * trials(3, 20) - 1}",
    )
    assert (customer["display_name"], customer["organisation"]) == (
        f"Ada {last}",
        f"Org {3 * trials(3, 20) - 1}",
    )
    assert away.row("customer", doomed["id"]) is None  # only the snapshot could tell: no tombstone left
    with away.cache.read() as conn:
        assert {n: s.cursor for n, s in state.read_state(conn).scopes.items()} != cursors
    away.engine.run_once()

    # the field rep comes back through an ordinary cycle (push, then the pull resets)
    mark = len(rep.statuses)
    rep.engine.run_once()
    assert "priming" in [s.state for s in rep.statuses[mark:]]
    assert rep.row("customer", doomed["id"]) is None

    for c in (supervisor, away, rep, supervisor, away, rep):
        c.engine.run_once()

    # 0 lost, 0 duplicated; the offline edits merged (no conflict) with the supervisor's
    assert_exactly_once(e2e_server, [*edits, *offline], notes_before)
    for mutation_id in queued["away"] | queued["rep"]:
        rows = e2e_server.query("SELECT outcome FROM client_mutation WHERE mutation_id = :m", m=mutation_id)
        assert [r.outcome for r in rows] in (["applied"], ["merged"]), mutation_id
    assert e2e_server.query(
        "SELECT display_name, organisation, region FROM customer WHERE id = :i", i=seed.customer_id
    )[0] == (f"Ada {last}", f"Org {3 * trials(3, 20) - 1}", f"region {last}")
    for c in (supervisor, away, rep):
        with c.cache.read() as conn:
            counts = outbox_counts(conn)
            verified = [s.verified_at for s in state.read_state(conn).scopes.values()]
        assert (counts.pending, counts.acked, counts.rejected, counts.conflicts) == (0, 0, 0, 0), c.username
        assert None not in verified  # the reset scopes were checked against the server again
        assert c.checksums() == c.server_checksums(), c.username
        assert c.engine.status.repaired == (), c.username  # the snapshots matched: no integrity re-prime
