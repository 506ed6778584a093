"""Helpers of the concurrent-edit scenarios 9-11 (SYNC.md §5): recording local edits with their
mutation ids, driving clients to quiescence, reading the server's verdicts, and the checks of
"0 lost", "0 duplicated" and convergence.

Unlike `assert_exactly_once` (conftest), the ledger check here accepts every outcome SYNC.md §2
allows, because conflicts are what these scenarios provoke: a `conflict` must keep the client's
value in its conflict record(s), a `rejected` edit must be in its client's `rejected_log`.
"""

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from sqlalchemy import create_engine, distinct, func, select

from desktop.services.store import apply_local_edit, new_record_id, outbox_counts
from desktop.services.store.outbox import Op, entries_for
from desktop.services.store.rows import read_row
from desktop.services.store.schema import MIRRORS, rejected_log
from server.db import tables as t
from server.sync.policy import CASE_TRANSITIONS, policy_of
from server.sync.scopes import OPEN_CASE_STATUSES
from tests.e2e.conftest import Client, E2EServer
from tests.reliability.conftest import OUTCOMES
from wire.records import CHANNELS, field_names

#: the case fields clients may change by an update (not server-owned), and those a concurrent
#: change of which is a conflict (`manual`; `status` follows its state machine instead)
MERGEABLE_CASE_FIELDS: Final = tuple(f for f in field_names("case") if policy_of("case", f) != "server")
MANUAL_CASE_FIELDS: Final = tuple(f for f in MERGEABLE_CASE_FIELDS if policy_of("case", f) == "manual")
PRIORITIES: Final = ("low", "normal", "high", "urgent")


@dataclass(frozen=True)
class Edit:
    """One recorded user edit: its client, target, outbox op and values, and its idempotency key."""

    client: Client = field(repr=False)
    entity: str
    entity_id: str
    op: str
    new_values: dict[str, Any]
    mutation_id: str


class EditLog:
    """The history recorder: every edit with its `mutation_id`, taken when the local commit returns."""

    def __init__(self) -> None:
        self.edits: list[Edit] = []

    def make(self, c: Client, entity: str, entity_id: str, op: Op, values: dict[str, Any]) -> Edit:
        apply_local_edit(c.cache.writer, entity, entity_id, op, values)
        with c.cache.read() as conn:
            entry = entries_for(conn, entity, entity_id)[-1]
        assert entry.state == "pending", entry
        edit = Edit(c, entity, entity_id, entry.op, dict(entry.new_values), entry.mutation_id)
        # an edit squashed into a pending one shares its mutation id: keep the merged values once
        self.edits = [e for e in self.edits if e.mutation_id != edit.mutation_id]
        self.edits.append(edit)
        return edit


def quiesce(clients: Sequence[Client], rounds: int = 2) -> None:
    """Sync every client `rounds` times (round 1 pushes everything, round 2 pulls everyone's
    changes), then require what the checker's quiescence means: nothing pending or unconfirmed."""
    for _ in range(rounds):
        for c in clients:
            c.engine.run_once()
    for c in clients:
        with c.cache.read() as conn:
            counts = outbox_counts(conn)
        assert (counts.pending, counts.acked) == (0, 0), (c.username, counts)


def assert_converged(clients: Sequence[Client]) -> None:
    """Every client's per-scope checksums equal the server's, and clients sharing a scope agree."""
    seen: dict[str, str] = {}
    for c in clients:
        mine = c.checksums()
        assert mine == c.server_checksums(), f"{c.username}: replica differs from the server"
        for scope, checksum in mine.items():
            assert seen.setdefault(scope, checksum) == checksum, f"clients disagree on {scope}"


def replica(c: Client, entity: str, row_id: str) -> tuple[int, dict[str, Any]] | None:
    """(version, values) of the client's visible row."""
    with c.cache.read() as conn:
        return read_row(conn, entity, row_id)


def assert_same_rows(
    clients: Sequence[Client], entity: str, row_id: str
) -> tuple[int, dict[str, Any]] | None:
    """The checksums compare versions only: every replica must also hold the same values."""
    rows = [replica(c, entity, row_id) for c in clients]
    assert all(r == rows[0] for r in rows), rows
    return rows[0]


# ---- the server's side ------------------------------------------------------------------------


def server_row(server: E2EServer, entity: str, row_id: str) -> dict[str, Any] | None:
    """The server's row, tombstones included (`deleted_at` set)."""
    table = t.ENTITY_TABLES[entity]
    engine = create_engine(server.db_url)
    try:
        with engine.connect() as conn:
            row = conn.execute(select(table).where(table.c.id == row_id)).first()
    finally:
        engine.dispose()
    return None if row is None else dict(row._mapping)


def server_conflicts(server: E2EServer, entity_id: str) -> list[dict[str, Any]]:
    """The server's conflict records about one record, oldest first."""
    sc = t.sync_conflict
    engine = create_engine(server.db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(sc).where(sc.c.entity_id == entity_id).order_by(sc.c.created_at))
            return [dict(r._mapping) for r in rows]
    finally:
        engine.dispose()


def client_conflicts(c: Client, entity_id: str) -> dict[str, dict[str, Any]]:
    """The client's mirrored conflict records about one record, by conflict id.

    Read with the mirror table's SQLAlchemy types, not the store's `read_row`, which fails on
    the bare JSON numbers of a `stale_delete` record (see the xfail test of scenario 11)."""
    mirror = MIRRORS["conflict"]
    with c.cache.read() as conn:
        rows = conn.execute(select(mirror).where(mirror.c.entity_id == entity_id)).mappings().all()
    return {str(row["id"]): dict(row) for row in rows}


def open_conflicts(c: Client) -> int:
    with c.cache.read() as conn:
        return outbox_counts(conn).conflicts


@dataclass(frozen=True)
class Verdict:
    outcome: str
    result: dict[str, Any]


def assert_ledger(server: E2EServer, log: EditLog) -> dict[str, Verdict]:
    """SYNC.md §5 "0 lost" and "0 duplicated" for every recorded edit; returns each one's verdict.

    - exactly one `client_mutation` row per mutation id, its outcome one of SYNC.md §2's four;
    - a `conflict` names its conflict records, each one the mutation's, keeping the client value;
    - a `rejected` edit is in its client's `rejected_log`;
    - its effect is written once: the edited record's change-log rows that carry its id (an upsert,
      plus a `scope_out` when it moved the record) are all of one new version.
    """
    ids = [e.mutation_id for e in log.edits]
    assert len(set(ids)) == len(ids)
    engine = create_engine(server.db_url)
    rows: dict[str, list[Any]] = {m: [] for m in ids}
    try:
        with engine.connect() as conn:
            cm = t.client_mutation
            for row in conn.execute(select(cm).where(cm.c.mutation_id.in_(ids))):
                rows[str(row.mutation_id)].append(row)
            cl = t.change_log
            effects = {
                (str(r.origin_mutation), str(r.entity), str(r.entity_id)): int(r.n)
                for r in conn.execute(
                    select(
                        cl.c.origin_mutation,
                        cl.c.entity,
                        cl.c.entity_id,
                        func.count(distinct(cl.c.version)).label("n"),
                    )
                    .where(cl.c.origin_mutation.in_(ids))
                    .group_by(cl.c.origin_mutation, cl.c.entity, cl.c.entity_id)
                )
            }
            sc = t.sync_conflict
            conflicts = {
                str(r.id): dict(r._mapping) for r in conn.execute(select(sc).where(sc.c.mutation_id.in_(ids)))
            }
    finally:
        engine.dispose()
    lost = [m for m, found in rows.items() if not found]
    duplicated = [m for m, found in rows.items() if len(found) > 1]
    assert not lost, f"lost mutations: {lost}"
    assert not duplicated, f"duplicated mutations: {duplicated}"
    verdicts: dict[str, Verdict] = {}
    for edit in log.edits:
        row = rows[edit.mutation_id][0]
        verdict = Verdict(str(row.outcome), dict(row.result_json))
        verdicts[edit.mutation_id] = verdict
        assert verdict.outcome in OUTCOMES, verdict
        assert effects.get((edit.mutation_id, edit.entity, edit.entity_id), 0) <= 1, edit
        if verdict.outcome == "conflict":
            named = verdict.result["conflict_ids"]
            assert named, verdict
            for cid in named:
                assert conflicts[cid]["mutation_id"] == edit.mutation_id
                _assert_keeps_client_value(edit, conflicts[cid])
        elif verdict.outcome == "rejected":
            with edit.client.cache.read() as conn:
                logged = conn.execute(
                    select(rejected_log.c.mutation_id).where(rejected_log.c.mutation_id == edit.mutation_id)
                ).first()
            assert logged is not None, f"rejected {edit.mutation_id} is not in the rejected log"
    return verdicts


def _assert_keeps_client_value(edit: Edit, conflict: dict[str, Any]) -> None:
    kind, name = conflict["kind"], conflict["field"]
    if kind == "field" and edit.op == "update":
        assert conflict["client_value"] == edit.new_values[name], conflict
    elif kind == "field":  # a resolution that met a newer change: the value chosen is kept
        assert conflict["client_value"] == edit.new_values["value"], conflict
    elif kind == "deleted_remotely":
        assert conflict["client_value"] == edit.new_values, conflict
    elif kind == "stale_delete":
        assert conflict["client_value"] == "delete", conflict
    else:
        raise AssertionError(f"unexpected conflict kind {kind!r} from {edit}")


# ---- the trial record ---------------------------------------------------------------------------


def new_case(
    log: EditLog, creator: Client, clients: Sequence[Client], server: E2EServer, rng: random.Random
) -> str:
    """A case created on `creator` (a supervisor may give it to the agent) and synced to everyone."""
    seed = server.seed
    case_id = new_record_id()
    values: dict[str, Any] = {
        "number": f"T-{case_id[:8]}",
        "customer_id": seed.customer_id,
        "subject": "Trial case",
        "description": "",
        "priority": "normal",
        "queue_id": seed.data.queue_ids[0],
        "origin_channel": "phone",
    }
    if creator.username == "supervisor":
        values["owner_id"] = rng.choice([seed.data.agent_id, seed.data.supervisor_id])
    log.make(creator, "case", case_id, "create", values)
    quiesce(clients)
    row = assert_same_rows(clients, "case", case_id)
    assert row is not None and row[0] == 1 and row[1]["status"] == "new"
    return case_id


def fresh_value(name: str, current: Any, rng: random.Random, avoid: Sequence[Any] = ()) -> Any:
    """A value for the case field `name`, different from `current` and from `avoid`, valid under
    its policy (a status stays open and follows a legal transition)."""
    if name == "priority":
        options: Sequence[Any] = PRIORITIES
    elif name == "origin_channel":
        options = CHANNELS
    elif name == "status":
        options = sorted(CASE_TRANSITIONS[str(current)] & set(OPEN_CASE_STATUSES))
    else:
        while True:
            text = f"{name} {rng.randrange(10**9)}"
            if text != current and text not in avoid:
                return text
    choices = [o for o in options if o != current and o not in avoid]
    return rng.choice(choices)


def user_id(server: E2EServer, c: Client) -> str:
    return server.seed.data.users[c.username]


def assert_shown_to_parties(
    server: E2EServer, clients: Sequence[Client], conflicts: Sequence[dict[str, Any]], owner: str | None
) -> list[Client]:
    """Conflict records reach the desktops of the user who made the losing edit and of the
    record's owner (SYNC.md §2: the `user:` scopes of editor and owner), and no other desktop.
    Returns the desktops that show them; every status counts the open records its desktop holds."""
    parties = {c["user_id"] for c in conflicts} | {owner}
    ids = {c["id"] for c in conflicts}
    shown = [c for c in clients if user_id(server, c) in parties]
    for c in clients:
        mirrored = client_conflicts(c, conflicts[0]["entity_id"])
        if c in shown:
            assert set(mirrored) == ids, c.username
            for conflict in conflicts:
                assert mirrored[conflict["id"]]["client_value"] == conflict["client_value"], c.username
                assert mirrored[conflict["id"]]["status"] == "open", c.username
        else:
            assert mirrored == {}, c.username
        assert c.engine.status.conflicts == open_conflicts(c), c.username
    return shown
