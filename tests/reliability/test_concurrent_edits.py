"""Scenarios 9, 10 and 11 of SYNC.md §5: concurrent edits of one case by two desktops, against the
real server, with a third desktop watching.

The desktops are the agent's two machines (profiles `agent` and `agent-2`, one user) and the
supervisor's. Each trial creates a fresh case on a random desktop (a supervisor's case goes to a
random owner), picks an ordered pair of desktops at random (the first pushes first), and checks:
- 9: different fields: no conflict record anywhere, every value on every replica;
- 10: the same fields: one conflict per overlapping field, first writer wins, the loser's value in
  the record, shown to the users the design sends it to (editor and case owner), resolved by a
  `resolve_conflict` command from one of them, and everyone converges;
- 11: delete against update in both orders, and a delete whose base went stale through another
  user's command: nothing is silently resurrected or deleted, a `deleted_remotely` or
  `stale_delete` conflict is recorded, and restoring (or deleting again on a fresh base) converges.

Every test ends with the ledger check ("0 lost", "0 duplicated") and per-scope checksums equal
between each client and the server and between clients sharing a scope. `LIAISON_TRIALS` raises
the number of trials.
"""

import random
from typing import Any

import pytest

from desktop.services.store.outbox import Op
from tests.e2e.conftest import Client, ClientFactory, E2EServer
from tests.reliability.concurrency_helpers import (
    MANUAL_CASE_FIELDS,
    MERGEABLE_CASE_FIELDS,
    EditLog,
    assert_converged,
    assert_ledger,
    assert_same_rows,
    assert_shown_to_parties,
    client_conflicts,
    fresh_value,
    new_case,
    open_conflicts,
    quiesce,
    replica,
    server_conflicts,
    server_row,
    user_id,
)
from tests.reliability.conftest import trials


@pytest.fixture
def desks(client: ClientFactory) -> list[Client]:
    """The agent's two desktops and the supervisor's, each primed."""
    made = [client("agent"), client("agent", profile="agent-2"), client("supervisor")]
    for c in made:
        c.engine.run_once()
    return made


def _edit_concurrently(
    log: EditLog,
    case_id: str,
    first: tuple[Client, Op, dict[str, Any]],
    second: tuple[Client, Op, dict[str, Any]],
    rng: random.Random,
) -> tuple[str, str]:
    """Both desktops change the case (`(desktop, op, values)`) as they last saw it; `first` syncs
    first. The second edit is made before or after that sync (at random): either way before the
    second desktop pulls."""
    (a, a_op, a_values), (b, b_op, b_values) = first, second
    a_edit = log.make(a, "case", case_id, a_op, a_values)
    late = rng.random() < 0.5
    if not late:
        b_edit = log.make(b, "case", case_id, b_op, b_values)
    a.engine.run_once()
    if late:
        b_edit = log.make(b, "case", case_id, b_op, b_values)
    b.engine.run_once()
    return a_edit.mutation_id, b_edit.mutation_id


def test_scenario_9_different_fields_merge_without_conflicts(
    e2e_server: E2EServer, desks: list[Client]
) -> None:
    log = EditLog()
    for trial in range(trials(6, 1000)):
        rng = random.Random(f"scenario-9/{trial}")
        case_id = new_case(log, rng.choice(desks), desks, e2e_server, rng)
        a, b = rng.sample(desks, 2)
        fields = rng.sample(MERGEABLE_CASE_FIELDS, rng.randint(2, 4))
        cut = rng.randint(1, len(fields) - 1)
        original = a.row("case", case_id)
        assert original is not None
        a_values = {f: fresh_value(f, original[f], rng) for f in fields[:cut]}
        b_values = {f: fresh_value(f, original[f], rng) for f in fields[cut:]}
        what = f"trial {trial}: {a.username}/{b.username} edit {a_values} then {b_values}"

        a_mutation, b_mutation = _edit_concurrently(
            log, case_id, (a, "update", a_values), (b, "update", b_values), rng
        )
        quiesce(desks)

        verdicts = assert_ledger(e2e_server, log)
        assert verdicts[a_mutation].outcome == "applied", what
        assert verdicts[b_mutation].outcome == "merged", what  # its base version was stale
        assert server_conflicts(e2e_server, case_id) == [], what
        assert e2e_server.query("SELECT count(*) FROM sync_conflict")[0][0] == 0, what
        for c in desks:
            assert client_conflicts(c, case_id) == {}, what
            assert c.engine.status.conflicts == 0, what
        expected = {**a_values, **b_values}
        on_server = server_row(e2e_server, "case", case_id)
        assert on_server is not None
        assert {f: on_server[f] for f in expected} == expected, what
        replicated = assert_same_rows(desks, "case", case_id)
        assert replicated is not None
        version, row = replicated
        assert {f: row[f] for f in expected} == expected, what
        assert version == on_server["version"] == 3, what  # created, then one write each
        assert_converged(desks)


def test_scenario_10_same_field_first_writer_wins_and_resolving_converges(
    e2e_server: E2EServer, desks: list[Client]
) -> None:
    log = EditLog()
    for trial in range(trials(4, 1000)):
        rng = random.Random(f"scenario-10/{trial}")
        case_id = new_case(log, rng.choice(desks), desks, e2e_server, rng)
        winner, loser = rng.sample(desks, 2)
        original = winner.row("case", case_id)
        assert original is not None
        overlap = rng.sample(MANUAL_CASE_FIELDS, rng.randint(1, 2))
        others = [f for f in MERGEABLE_CASE_FIELDS if f not in overlap]
        w_values = {f: fresh_value(f, original[f], rng) for f in overlap}
        l_values = {f: fresh_value(f, original[f], rng, avoid=[w_values[f]]) for f in overlap}
        own = rng.sample(others, 2)  # each side may also change a field of its own
        if rng.random() < 0.5:
            w_values[own[0]] = fresh_value(own[0], original[own[0]], rng)
        if rng.random() < 0.5:
            l_values[own[1]] = fresh_value(own[1], original[own[1]], rng)
        what = f"trial {trial}: {winner.username} {w_values} wins over {loser.username} {l_values}"

        w_mutation, l_mutation = _edit_concurrently(
            log, case_id, (winner, "update", w_values), (loser, "update", l_values), rng
        )
        quiesce(desks)

        verdicts = assert_ledger(e2e_server, log)
        assert verdicts[w_mutation].outcome == "applied", what
        assert verdicts[l_mutation].outcome == "conflict", what
        conflicts = server_conflicts(e2e_server, case_id)
        assert sorted(c["field"] for c in conflicts) == sorted(overlap), what  # one per field
        assert set(verdicts[l_mutation].result["conflict_ids"]) == {c["id"] for c in conflicts}
        owner = original["owner_id"]
        for conflict in conflicts:
            f = conflict["field"]
            assert conflict["kind"] == "field" and conflict["status"] == "open", what
            assert conflict["base_value"] == original[f], what
            assert conflict["server_value"] == w_values[f], what
            assert conflict["client_value"] == l_values[f], what  # the loser's value is kept
            assert conflict["user_id"] == user_id(e2e_server, loser), what
            assert conflict["owner_id"] == (owner if owner != conflict["user_id"] else None), what
        expected = {**l_values, **w_values}  # first writer wins the overlap; own fields both land
        on_server = server_row(e2e_server, "case", case_id)
        assert on_server is not None
        assert {f: on_server[f] for f in expected} == expected, what
        replicated = assert_same_rows(desks, "case", case_id)
        assert replicated is not None and replicated[0] == on_server["version"], what
        assert {f: replicated[1][f] for f in expected} == expected, what

        # the conflict goes to the desktops of the losing editor and of the case's owner; the
        # winner's shows it too whenever it is one of those users (not when it is neither)
        shown = assert_shown_to_parties(e2e_server, desks, conflicts, owner)
        for c in desks:  # earlier trials' conflicts are all closed
            assert open_conflicts(c) == (len(conflicts) if c in shown else 0), (c.username, what)
        assert loser in shown, what
        assert (winner in shown) == (user_id(e2e_server, winner) in (user_id(e2e_server, loser), owner)), what

        # one of the parties resolves each conflict, as the desktop does: a command mutation
        resolver = rng.choice(shown)
        final = dict(expected)
        closed: dict[str, str] = {}
        for conflict in conflicts:
            f = conflict["field"]
            action = rng.choice(["use_client", "use_other", "keep_server", "dismiss"])
            command: dict[str, Any] = {"name": "resolve_conflict", "action": action}
            if action in ("use_client", "use_other"):
                value = (
                    l_values[f] if action == "use_client" else fresh_value(f, w_values[f], rng, [l_values[f]])
                )
                command = {"name": "resolve_conflict", "action": "use_value", "value": value}
                final[f] = value
            closed[conflict["id"]] = "dismissed" if action == "dismiss" else "resolved"
            log.make(resolver, "conflict", conflict["id"], "command", command)
        quiesce(desks)

        verdicts = assert_ledger(e2e_server, log)
        assert all(v.outcome in ("applied", "merged", "conflict") for v in verdicts.values())
        assert {c["id"]: c["status"] for c in server_conflicts(e2e_server, case_id)} == closed, what
        on_server = server_row(e2e_server, "case", case_id)
        assert on_server is not None
        assert {f: on_server[f] for f in final} == final, what
        replicated = assert_same_rows(desks, "case", case_id)
        assert replicated is not None and replicated[0] == on_server["version"], what
        assert {f: replicated[1][f] for f in final} == final, what
        for c in desks:
            assert open_conflicts(c) == c.engine.status.conflicts == 0, (c.username, what)
            for cid, mirrored in client_conflicts(c, case_id).items():
                assert mirrored["status"] == closed[cid], what
        assert_converged(desks)


def _the_conflict(
    server: E2EServer, case_id: str, kind: str, by: Client, client_value: Any
) -> dict[str, Any]:
    """The one open whole-record conflict the losing desktop's mutation left on the server."""
    [conflict] = server_conflicts(server, case_id)
    assert (conflict["kind"], conflict["field"], conflict["status"]) == (kind, "*", "open")
    assert conflict["user_id"] == user_id(server, by)
    assert conflict["client_value"] == client_value
    return conflict


def test_scenario_11_update_of_a_deleted_case_conflicts_and_restore_brings_it_back(
    e2e_server: E2EServer, desks: list[Client]
) -> None:
    log = EditLog()
    for trial in range(trials(3, 200)):
        rng = random.Random(f"scenario-11-delete-first/{trial}")
        case_id = new_case(log, rng.choice(desks), desks, e2e_server, rng)
        deleter, updater = rng.sample(desks, 2)
        before = replica(updater, "case", case_id)
        assert before is not None
        original = before[1]
        u_values = {f: fresh_value(f, original[f], rng) for f in rng.sample(MERGEABLE_CASE_FIELDS, 2)}
        what = f"trial {trial}: {deleter.username} deletes, then {updater.username} sends {u_values}"

        deleted, updated = _edit_concurrently(
            log, case_id, (deleter, "delete", {}), (updater, "update", u_values), rng
        )
        quiesce(desks)

        verdicts = assert_ledger(e2e_server, log)
        assert verdicts[deleted].outcome == "applied", what
        assert (verdicts[updated].outcome, verdicts[updated].result["reason"]) == (
            "conflict",
            "deleted_remotely",
        )
        on_server = server_row(e2e_server, "case", case_id)
        assert on_server is not None
        assert on_server["deleted_at"] is not None, what  # no silent resurrection
        assert on_server["version"] == 2, what  # the update changed nothing
        assert {f: on_server[f] for f in u_values} == {f: original[f] for f in u_values}, what
        conflict = _the_conflict(e2e_server, case_id, "deleted_remotely", updater, u_values)
        for c in desks:
            assert replica(c, "case", case_id) is None, (c.username, what)
        shown = assert_shown_to_parties(e2e_server, desks, [conflict], original["owner_id"])
        for c in desks:  # earlier trials' conflicts are all closed
            assert open_conflicts(c) == (1 if c in shown else 0), (c.username, what)
        assert_converged(desks)

        # restore: answering the conflict, or the `restore` command on the case and then closing it
        resolver = rng.choice(shown)
        if rng.random() < 0.5:
            command = {"name": "resolve_conflict", "action": "restore"}
            restore = log.make(resolver, "conflict", conflict["id"], "command", command)
            closed = "resolved"
        else:
            restore = log.make(resolver, "case", case_id, "command", {"name": "restore"})
            command = {"name": "resolve_conflict", "action": "dismiss"}
            log.make(resolver, "conflict", conflict["id"], "command", command)
            closed = "dismissed"
        quiesce(desks)

        verdicts = assert_ledger(e2e_server, log)
        assert verdicts[restore.mutation_id].outcome == "applied", what
        on_server = server_row(e2e_server, "case", case_id)
        assert on_server is not None
        assert on_server["deleted_at"] is None and on_server["version"] == 3, what
        replicated = assert_same_rows(desks, "case", case_id)
        assert replicated is not None and replicated[0] == 3, what
        assert replicated[1] == original, what  # back as it was; the update waits in the record
        [after] = server_conflicts(e2e_server, case_id)
        assert (after["status"], after["client_value"]) == (closed, u_values), what
        for c in desks:
            assert open_conflicts(c) == c.engine.status.conflicts == 0, (c.username, what)
        assert_converged(desks)


def _intervene(
    log: EditLog, c: Client, case_id: str, how: str, server: E2EServer, rng: random.Random
) -> dict[str, Any]:
    """Another user's change of the case: an update, or a command the server validates. Returns
    the fields it sets as the server will hold them (those it can predict)."""
    current = replica(c, "case", case_id)
    assert current is not None
    if how == "update":
        values = {f: fresh_value(f, current[1][f], rng) for f in rng.sample(MERGEABLE_CASE_FIELDS, 2)}
        log.make(c, "case", case_id, "update", values)
        return values
    if how == "escalate":
        log.make(c, "case", case_id, "command", {"name": "escalate", "reason": "customer called twice"})
        return {"status": "escalated", "priority": "high"}
    queue = server.seed.data.queue_ids[1]
    log.make(c, "case", case_id, "command", {"name": "request_reassign", "queue_id": queue})
    return {"queue_id": queue}


@pytest.mark.parametrize("how", ["update", "escalate", "request_reassign"])
def test_scenario_11_delete_with_a_stale_base_conflicts_instead_of_deleting(
    e2e_server: E2EServer, desks: list[Client], how: str
) -> None:
    """Update then delete: the deleter's base version went stale through another desktop's update
    or a server-validated command it had not pulled yet."""
    log = EditLog()
    stale: set[str] = set()  # the stale deletes so far: conflicts; every other edit applies
    for trial in range(trials(2, 200)):
        rng = random.Random(f"scenario-11-stale-delete/{how}/{trial}")
        case_id = new_case(log, rng.choice(desks), desks, e2e_server, rng)
        other, deleter = rng.sample(desks, 2)
        original = replica(deleter, "case", case_id)
        assert original is not None
        what = f"trial {trial}: {other.username} changes ({how}), then {deleter.username} deletes"

        late = rng.random() < 0.5
        if not late:
            delete = log.make(deleter, "case", case_id, "delete", {})
        expected = _intervene(log, other, case_id, how, e2e_server, rng)
        other.engine.run_once()
        if late:
            delete = log.make(deleter, "case", case_id, "delete", {})
        assert replica(deleter, "case", case_id) is None  # gone locally until the server answers
        deleter.engine.run_once()
        quiesce(desks)
        stale.add(delete.mutation_id)

        verdicts = assert_ledger(e2e_server, log)
        assert all(v.outcome == "applied" for m, v in verdicts.items() if m not in stale), what
        assert (verdicts[delete.mutation_id].outcome, verdicts[delete.mutation_id].result["reason"]) == (
            "conflict",
            "stale_delete",
        ), what
        on_server = server_row(e2e_server, "case", case_id)
        assert on_server is not None
        assert on_server["deleted_at"] is None and on_server["version"] == 2, what  # not deleted
        assert {f: on_server[f] for f in expected} == expected, what
        conflict = _the_conflict(e2e_server, case_id, "stale_delete", deleter, "delete")
        assert (conflict["base_value"], conflict["server_value"]) == (1, 2), what
        replicated = assert_same_rows(desks, "case", case_id)  # back on the deleter's desktop too
        assert replicated is not None and replicated[0] == 2, what
        assert {f: replicated[1][f] for f in expected} == expected, what
        shown = assert_shown_to_parties(e2e_server, desks, [conflict], original[1]["owner_id"])
        assert deleter in shown
        assert_converged(desks)

        # the deleter deletes it again now that it has seen the change, or keeps it; either way
        # the conflict record stays open until a user closes it (resolving it from the desktop
        # is the next test)
        again = rng.random() < 0.5
        if again:
            log.make(deleter, "case", case_id, "delete", {})
        quiesce(desks)

        verdicts = assert_ledger(e2e_server, log)
        assert all(v.outcome == "applied" for m, v in verdicts.items() if m not in stale), what
        on_server = server_row(e2e_server, "case", case_id)
        assert on_server is not None and on_server["version"] == (3 if again else 2), what
        assert (on_server["deleted_at"] is not None) == again, what
        for c in desks:
            assert (replica(c, "case", case_id) is None) == again, (c.username, what)
        assert [c["status"] for c in server_conflicts(e2e_server, case_id)] == ["open"], what
        assert_shown_to_parties(e2e_server, desks, [conflict], original[1]["owner_id"])
        assert_converged(desks)


def test_scenario_11_desktop_shows_and_resolves_a_stale_delete_conflict(
    e2e_server: E2EServer, desks: list[Client]
) -> None:
    log = EditLog()
    rng = random.Random("scenario-11-resolve-stale-delete")
    deleter, other = desks[0], desks[2]
    case_id = new_case(log, deleter, desks, e2e_server, rng)
    delete = log.make(deleter, "case", case_id, "delete", {})
    log.make(other, "case", case_id, "update", {"subject": "changed meanwhile"})
    other.engine.run_once()
    deleter.engine.run_once()
    quiesce(desks)
    assert assert_ledger(e2e_server, log)[delete.mutation_id].outcome == "conflict"
    [conflict] = server_conflicts(e2e_server, case_id)

    # the desktop reads the record with the store's row reader, and answers it with a command
    shown = deleter.row("conflict", conflict["id"])
    assert shown is not None
    assert (shown["kind"], shown["client_value"], shown["base_value"]) == ("stale_delete", "delete", 1)
    log.make(
        deleter, "conflict", conflict["id"], "command", {"name": "resolve_conflict", "action": "keep_server"}
    )
    quiesce(desks)

    assert_ledger(e2e_server, log)
    assert [c["status"] for c in server_conflicts(e2e_server, case_id)] == ["resolved"]
    for c in desks:
        assert open_conflicts(c) == c.engine.status.conflicts == 0, c.username
    assert_converged(desks)
