"""Scenario 15: the server is restored from an older backup and gets a new epoch.

Three desktops of different users (agent, supervisor, field rep) edit in three phases: edits
acknowledged *before* the backup point, edits acknowledged *after* it (lost by the restore), and
edits still pending when the restore happens. After the restore every client notices the new
epoch, rebuilds its mirrors from a snapshot and re-pushes its outbox and its 30-day acked log.

"0 lost" here means every recorded edit is on the restored server afterwards: the server lost the
`client_mutation` rows newer than the backup, so the re-push must bring them back, and the dedupe
table must answer the older ones from its stored results ("0 duplicated").
"""

from pathlib import Path

from sqlalchemy import select

from desktop.services.store import new_record_id, outbox_counts, state
from desktop.services.store.schema import acked_log
from tests.e2e.conftest import Client, ClientFactory, E2EServer, reconnect
from tests.reliability.conftest import assert_exactly_once, server_notes, trials
from tests.reliability.test_poison import record

USERS = ("agent", "supervisor", "fieldrep")


def _edit_round(clients: dict[str, Client], server: E2EServer, label: str) -> list[dict[str, str]]:
    """Each user edits what their role reaches: the agent the case subject and a note (and a new
    customer), the supervisor the case description and a note, the field rep a customer's region."""
    seed = server.seed
    agent, supervisor, fieldrep = clients["agent"], clients["supervisor"], clients["fieldrep"]
    made = [
        record(agent, "case", seed.case_id, "update", {"subject": f"subject {label}"}),
        record(
            agent, "case_note", new_record_id(), "append", {"case_id": seed.case_id, "body": f"agent {label}"}
        ),
        record(
            agent,
            "customer",
            new_record_id(),
            "create",
            {"display_name": f"New customer {label}", "territory_id": seed.data.territory_ids[0]},
        ),
        record(supervisor, "case", seed.case_id, "update", {"description": f"description {label}"}),
        record(
            supervisor,
            "case_note",
            new_record_id(),
            "append",
            {"case_id": seed.case_id, "body": f"sup {label}"},
        ),
        record(fieldrep, "customer", seed.customer_id, "update", {"region": f"region {label}"}),
    ]
    for edit, user in zip(
        made, ["agent", "agent", "agent", "supervisor", "supervisor", "fieldrep"], strict=True
    ):
        edit["user"] = user
    return made


def _sync_all(clients: dict[str, Client]) -> None:
    """Two rounds: every client's pushes reach the others, and every ack is confirmed by a pull."""
    for _ in range(2):
        for c in clients.values():
            c.engine.run_once()


def _restart(server: E2EServer, clients: dict[str, Client]) -> None:
    for name, c in clients.items():
        clients[name] = reconnect(c, server.url)


def _acked_log(c: Client) -> set[str]:
    with c.cache.read() as conn:
        return {str(m) for m in conn.execute(select(acked_log.c.mutation_id)).scalars()}


def test_restore_from_an_older_backup_loses_and_duplicates_nothing(
    e2e_server: E2EServer, client: ClientFactory, tmp_path: Path
) -> None:
    seed = e2e_server.seed
    notes_before = server_notes(e2e_server)
    clients = {u: client(u) for u in USERS}
    _sync_all(clients)
    rounds = trials(2, 20)

    before_backup: list[dict[str, str]] = []
    for n in range(rounds):
        before_backup += _edit_round(clients, e2e_server, f"A{n}")
        _sync_all(clients)
    e2e_server.stop()
    e2e_server.backup(tmp_path / "backup")
    e2e_server.start()
    _restart(e2e_server, clients)

    after_backup: list[dict[str, str]] = []
    for n in range(rounds):
        after_backup += _edit_round(clients, e2e_server, f"B{n}")
        _sync_all(clients)
    for c in clients.values():  # confirmed: in the acked log, nothing left in the outbox
        with c.cache.read() as conn:
            assert outbox_counts(conn).pending == outbox_counts(conn).acked == 0
    pending = _edit_round(clients, e2e_server, "C")  # still in the outboxes at the restore

    e2e_server.stop()
    e2e_server.restore(tmp_path / "backup")
    e2e_server.start()
    _restart(e2e_server, clients)
    lost = [e["mutation_id"] for e in after_backup]
    assert not e2e_server.query(
        f"SELECT 1 FROM client_mutation WHERE mutation_id IN ({', '.join(repr(m) for m in lost)})"
    ), "the restore did not lose what came after the backup: the scenario proves nothing"
    assert e2e_server.query("SELECT subject FROM support_case WHERE id = :i", i=seed.case_id)[0][0] == (
        f"subject A{rounds - 1}"
    )
    [(epoch,)] = e2e_server.query("SELECT epoch FROM server_meta")
    marks = {name: len(c.statuses) for name, c in clients.items()}

    _sync_all(clients)

    # every client noticed the new epoch and rebuilt its mirrors from a snapshot
    for name, c in clients.items():
        with c.cache.read() as conn:
            assert state.read_state(conn).epoch == epoch
        assert "priming" in [s.state for s in c.statuses[marks[name] :]], name

    # 0 lost, 0 duplicated over all three phases
    edits = [*before_backup, *after_backup, *pending]
    assert_exactly_once(e2e_server, edits, notes_before)
    assert not e2e_server.query("SELECT 1 FROM rejected_mutation")
    last = f"B{rounds - 1}"
    assert e2e_server.query("SELECT subject, description FROM support_case WHERE id = :i", i=seed.case_id)[
        0
    ] == ("subject C", "description C")
    assert (
        e2e_server.query("SELECT region FROM customer WHERE id = :i", i=seed.customer_id)[0][0] == "region C"
    )
    created = [e["id"] for e in edits if e["entity"] == "customer" and e["id"] != seed.customer_id]
    for customer_id in created:
        assert len(e2e_server.query("SELECT 1 FROM customer WHERE id = :i", i=customer_id)) == 1
    assert e2e_server.query("SELECT count(*) FROM case_note WHERE body = :b", b=f"agent {last}")[0][0] == 1

    # the re-pushed edits were confirmed again, and every replica equals the server
    for name, c in clients.items():
        mine = {e["mutation_id"] for e in [*before_backup, *after_backup, *pending] if e["user"] == name}
        assert mine <= _acked_log(c), name
        with c.cache.read() as conn:
            counts = outbox_counts(conn)
        assert (counts.pending, counts.acked, counts.rejected, counts.conflicts) == (0, 0, 0, 0), name
        assert c.checksums() == c.server_checksums(), name
    for customer_id in created:
        assert clients["fieldrep"].row("customer", customer_id) is not None


def test_rebuilt_mirror_equals_the_restored_server(
    e2e_server: E2EServer, client: ClientFactory, tmp_path: Path
) -> None:
    """The supervisor's edits after the backup reached the agent, then the supervisor's desktop is
    gone for good (nobody re-pushes them). After the restore the agent's rebuilt mirror must be
    the restored server's data, not the lost edits at their (now meaningless) old versions."""
    case_id = e2e_server.seed.case_id
    agent, supervisor = client("agent"), client("supervisor")
    agent.engine.run_once()
    supervisor.engine.run_once()
    e2e_server.stop()
    e2e_server.backup(tmp_path / "backup")
    e2e_server.start()
    agent, supervisor = reconnect(agent, e2e_server.url), reconnect(supervisor, e2e_server.url)
    for n in range(trials(2, 20)):
        record(supervisor, "case", case_id, "update", {"description": f"lost {n}"})
        supervisor.engine.run_once()
    agent.engine.run_once()
    assert agent.row("case", case_id)["description"] == f"lost {trials(2, 20) - 1}"  # type: ignore[index]

    e2e_server.stop()
    e2e_server.restore(tmp_path / "backup")
    e2e_server.start()
    agent = reconnect(agent, e2e_server.url)
    record(agent, "case_note", new_record_id(), "append", {"case_id": case_id, "body": "after the restore"})
    agent.engine.run_once()  # the new epoch: mirrors rebuilt from a snapshot

    [(description,)] = e2e_server.query("SELECT description FROM support_case WHERE id = :i", i=case_id)
    assert agent.row("case", case_id)["description"] == description  # type: ignore[index]
    assert agent.engine.status.repaired == ()  # the snapshot alone made the scopes equal
    assert agent.checksums() == agent.server_checksums()
