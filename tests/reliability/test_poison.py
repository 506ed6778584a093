"""Scenario 20: a poison mutation (the server permanently rejects it) among good ones.

Each trial queues good edits, a case create the server must refuse (its customer does not exist),
a chain of two notes depending on it, and more good edits; another desktop edits meanwhile. One
cycle drains the queue: the good edits land, the dependants are rejected as `dependency_failed`,
every rejected mutation has a dead-letter row on the server, the user is told once per mutation
(`on_rejected` and the status), and the text can be read back from the client's `rejected_log`.
"""

import json
from typing import Any, Protocol

from sqlalchemy import select

from desktop.services.store import Cache, apply_local_edit, new_record_id, outbox_counts
from desktop.services.store.schema import outbox, rejected_log
from tests.e2e.conftest import Client, ClientFactory, E2EServer
from tests.reliability.conftest import assert_exactly_once, ledger, server_notes, trials
from wire.sync import Mutation


class Desktop(Protocol):
    """Anything with a profile cache: the e2e `Client`, the live harness's `Live`."""

    cache: Cache


def record(
    c: Desktop, entity: str, row_id: str, op: str, values: dict[str, Any], depends_on: str | None = None
) -> dict[str, str]:
    """Make a local edit and return it as the history recorder logs it: the outbox entry carrying
    it (an update squashed into a pending one keeps that entry's mutation id)."""
    apply_local_edit(c.cache.writer, entity, row_id, op, values, depends_on)  # type: ignore[arg-type]  # op: a str
    with c.cache.read() as conn:
        mutation_id = conn.execute(
            select(outbox.c.mutation_id)
            .where(outbox.c.entity == entity, outbox.c.entity_id == row_id, outbox.c.state == "pending")
            .order_by(outbox.c.client_seq.desc())
        ).scalar_one()
    return {"entity": entity, "id": row_id, "mutation_id": str(mutation_id)}


def _dead_letters(server: E2EServer, mutation_ids: list[str]) -> dict[str, tuple[str, dict[str, Any]]]:
    found: dict[str, tuple[str, dict[str, Any]]] = {}
    for mutation_id in mutation_ids:
        for row in server.query(
            "SELECT reason, payload FROM rejected_mutation WHERE mutation_id = :m", m=mutation_id
        ):
            payload = row.payload if isinstance(row.payload, dict) else json.loads(row.payload)
            found[mutation_id] = (str(row.reason), payload)
    return found


def _rejected_log(c: Client) -> dict[str, tuple[str, Mutation]]:
    with c.cache.read() as conn:
        return {
            str(r.mutation_id): (str(r.reason), Mutation.model_validate_json(r.payload))
            for r in conn.execute(rejected_log.select())
        }


def test_poison_mutation_is_dead_lettered_and_the_rest_drains(
    e2e_server: E2EServer, client: ClientFactory
) -> None:
    case_id = e2e_server.seed.case_id
    notes_before = server_notes(e2e_server)
    agent, supervisor = client("agent"), client("supervisor")
    agent.engine.run_once()
    supervisor.engine.run_once()
    good: list[dict[str, str]] = []
    poisons: dict[str, str] = {}  # mutation id -> the subject the user typed
    dependants: dict[str, str] = {}  # mutation id -> note body
    for trial in range(trials(3, 50)):
        good.append(
            record(
                agent, "case_note", new_record_id(), "append", {"case_id": case_id, "body": f"before {trial}"}
            )
        )
        orphan, subject = new_record_id(), f"Customer's router #{trial}: no such customer"
        poison = record(
            agent,
            "case",
            orphan,
            "create",
            {"number": f"CS-P{trial}", "customer_id": new_record_id(), "subject": subject},
        )
        poisons[poison["mutation_id"]] = subject
        parent = poison["mutation_id"]
        for depth in range(2):  # a chain: the second note depends on the first
            body = f"note {depth} on the new case {trial}"
            note = record(
                agent, "case_note", new_record_id(), "append", {"case_id": orphan, "body": body}, parent
            )
            dependants[note["mutation_id"]] = body
            parent = note["mutation_id"]
        good.append(record(agent, "case", case_id, "update", {"subject": f"after poison {trial}"}))
        good.append(
            record(
                agent, "case_note", new_record_id(), "append", {"case_id": case_id, "body": f"after {trial}"}
            )
        )
        good.append(
            record(supervisor, "case", case_id, "update", {"priority": "high" if trial % 2 else "low"})
        )
        good.append(
            record(
                supervisor,
                "case_note",
                new_record_id(),
                "append",
                {"case_id": case_id, "body": f"sup {trial}"},
            )
        )

        announced = len(agent.rejections)
        agent.engine.run_once()
        supervisor.engine.run_once()
        # the rest of the queue drained in that one cycle: nothing waits behind the poison
        with agent.cache.read() as conn:
            counts = outbox_counts(conn)
        assert (counts.pending, counts.acked) == (0, 0)
        assert len(agent.rejections) - announced == 3  # told once per refused mutation
        assert agent.engine.status.rejected == 3 * (trial + 1)

    agent.engine.run_once()
    supervisor.engine.run_once()
    rejected = [*poisons, *dependants]

    # 0 lost, 0 duplicated: every good edit applied once; every refused one recorded once, as refused
    assert_exactly_once(e2e_server, good, notes_before)
    seen = ledger(e2e_server, rejected, [])
    assert seen.mutations == {m: ["rejected"] for m in rejected}
    assert not e2e_server.query("SELECT 1 FROM case_note WHERE body LIKE 'note % on the new case %'")
    assert not e2e_server.query("SELECT 1 FROM support_case WHERE number LIKE 'CS-P%'")
    last = trials(3, 50) - 1
    assert e2e_server.query("SELECT subject, priority FROM support_case WHERE id = :i", i=case_id)[0] == (
        f"after poison {last}",
        "high" if last % 2 else "low",
    )

    # a dead-letter row for each, the dependants' reason dependency_failed
    letters = _dead_letters(e2e_server, rejected)
    assert set(letters) == set(rejected)
    for mutation_id, subject in poisons.items():
        reason, payload = letters[mutation_id]
        assert reason and "dependency_failed" not in reason
        assert payload["new_values"]["subject"] == subject
    assert {letters[m][0] for m in dependants} == {"dependency_failed"}

    # the user was told (callback and status), once each, and can copy the text back out
    assert sorted(r.mutation_id for r in agent.rejections) == sorted(rejected)
    assert {r.mutation_id: r.entity for r in agent.rejections} == {
        **dict.fromkeys(poisons, "case"),
        **dict.fromkeys(dependants, "case_note"),
    }
    assert agent.engine.status.rejected == len(rejected)
    logged = _rejected_log(agent)
    assert set(logged) == set(rejected)
    for mutation_id, subject in poisons.items():
        reason, mutation = logged[mutation_id]
        assert reason == letters[mutation_id][0]  # the server's words
        assert mutation.new_values["subject"] == subject
    for mutation_id, body in dependants.items():
        reason, mutation = logged[mutation_id]
        assert reason.startswith("dependency_failed")
        assert mutation.new_values["body"] == body
    assert not supervisor.rejections

    for c in (agent, supervisor):
        with c.cache.read() as conn:
            counts = outbox_counts(conn)
        assert (counts.pending, counts.acked) == (0, 0)
        assert c.checksums() == c.server_checksums()
