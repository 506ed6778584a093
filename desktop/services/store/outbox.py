"""Outbox rows (SYNC.md §2): reading a record's entries, inserting, squashing into a pending one.

`wire.sync` (pydantic models) is imported only when a push builds its mutations: the window opens
the cache before it signs in, and pydantic is not on that path (desktop/preload.py)."""

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, cast

from sqlalchemy import Connection, insert, select, update

from desktop.services.store.driver import run, scalar
from desktop.services.store.jsontext import dumps, loads_object
from desktop.services.store.schema import outbox

if TYPE_CHECKING:
    from wire.sync import Mutation, MutationOp

Op = Literal["create", "update", "delete", "append", "command"]
State = Literal["pending", "inflight", "acked"]


@dataclass(frozen=True)
class OutboxEntry:
    client_seq: int
    mutation_id: str
    entity: str
    entity_id: str
    op: str
    base_version: int | None
    base_values: dict[str, Any] | None
    new_values: dict[str, Any]
    depends_on: str | None
    state: str
    created_at_device: str | None
    #: times the entry was claimed for a push; above 0 the server may hold this mutation id
    attempts: int = 0

    @property
    def may_be_on_server(self) -> bool:
        """Whether a push may have carried it: its payload is then fixed under its mutation id (a
        change squashed into it would be answered from the server's dedupe table and lost)."""
        return self.attempts > 0 or self.state != "pending"

    def mutation(self) -> "Mutation":
        """The entry as the push request carries it."""
        from wire.sync import Mutation

        return Mutation(
            mutation_id=self.mutation_id,
            client_seq=self.client_seq,
            entity=self.entity,
            entity_id=self.entity_id,
            op=cast("MutationOp", self.op),
            base_version=self.base_version,
            base_values=self.base_values,
            new_values=self.new_values,
            depends_on=self.depends_on,
        )


def entry_from_row(row: Any) -> OutboxEntry:
    """An `outbox` row (all columns) as an entry, its JSON columns decoded."""
    return OutboxEntry(
        client_seq=int(row.client_seq),
        mutation_id=str(row.mutation_id),
        entity=str(row.entity),
        entity_id=str(row.entity_id),
        op=str(row.op),
        base_version=None if row.base_version is None else int(row.base_version),
        base_values=None if row.base_values is None else loads_object(row.base_values),
        new_values=loads_object(row.new_values),
        depends_on=row.depends_on,
        state=str(row.state),
        created_at_device=row.created_at_device,
        attempts=int(row.attempts or 0),
    )


def entries_for(conn: Connection, entity: str, entity_id: str) -> list[OutboxEntry]:
    """The record's outbox entries (any state) in `client_seq` order: its overlay."""
    rows = conn.execute(
        select(outbox)
        .where(outbox.c.entity == entity, outbox.c.entity_id == entity_id)
        .order_by(outbox.c.client_seq)
    )
    return [entry_from_row(row) for row in rows]


def has_entries(conn: Connection, entity: str, entity_id: str) -> bool:
    found = run(conn, "SELECT 1 FROM outbox WHERE entity = ? AND entity_id = ? LIMIT 1", (entity, entity_id))
    return found.fetchone() is not None


def pending_create(conn: Connection, entity: str, entity_id: str) -> str | None:
    """The mutation id of the record's create while it is still in the outbox (a new child that
    refers to the record depends on it)."""
    found = scalar(
        conn,
        "SELECT mutation_id FROM outbox WHERE entity = ? AND entity_id = ? AND op = 'create' "
        "ORDER BY client_seq LIMIT 1",
        (entity, entity_id),
    )
    return None if found is None else str(found)


def dependants(conn: Connection, mutation_id: str) -> int:
    query = select(outbox.c.client_seq).where(outbox.c.depends_on == mutation_id)
    return len(conn.execute(query).all())


def insert_outbox(
    conn: Connection,
    *,
    mutation_id: str,
    entity: str,
    entity_id: str,
    op: Op,
    base_version: int | None,
    base_values: dict[str, Any] | None,
    new_values: dict[str, Any],
    depends_on: str | None,
    created_at_device: str | None,
    state: State = "pending",
    client_seq: int | None = None,
) -> int:
    values: dict[str, Any] = {
        "mutation_id": mutation_id,
        "entity": entity,
        "entity_id": entity_id,
        "op": op,
        "base_version": base_version,
        "base_values": None if base_values is None else dumps(base_values),
        "new_values": dumps(new_values),
        "depends_on": depends_on,
        "created_at_device": created_at_device,
        "state": state,
    }
    if client_seq is not None:
        values["client_seq"] = client_seq
    result = conn.execute(insert(outbox).values(values))
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def squash_pending(
    conn: Connection,
    client_seq: int,
    *,
    op: Op,
    base_values: dict[str, Any] | None,
    new_values: dict[str, Any],
) -> None:
    """Rewrite a pending entry in place (same `mutation_id`); refuses anything not pending."""
    result = conn.execute(
        update(outbox)
        .where(outbox.c.client_seq == client_seq, outbox.c.state == "pending")
        .values(
            op=op,
            base_values=None if base_values is None else dumps(base_values),
            new_values=dumps(new_values),
        )
    )
    if result.rowcount != 1:
        raise RuntimeError(f"outbox entry {client_seq} is no longer pending")


def delete_entries(conn: Connection, client_seqs: list[int]) -> None:
    conn.execute(outbox.delete().where(outbox.c.client_seq.in_(client_seqs), outbox.c.state == "pending"))
