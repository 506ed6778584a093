"""Local edits: the visible row and its outbox entry, written in one `BEGIN IMMEDIATE` transaction.

- update: the fields that really change, with their values before the edit as `base_values`; the
  server's copy of the row goes to `server_shadow` first if it is not there yet;
- squash: when the record's newest outbox entry is still `pending` (a create or an update) and
  was never claimed for a push (`attempts` 0), the edit is merged into it: same `mutation_id`,
  its first `base_values` kept, `new_values` merged. An entry a push may have carried (inflight,
  acked, or pending again after a failed or interrupted push) is never touched: the server may
  have applied it and would answer a changed payload under that id from its dedupe table, losing
  the change; the edit gets an entry of its own;
- create (mergeable) and append (append-only): a new row with a client-chosen id (`new_record_id`)
  at version 0 until the server sends it back;
- delete: the row disappears; a record created here and never sent (no entry ever claimed for a
  push, nothing depending on the create) is simply dropped from the outbox;
- command: an outbox entry only (the server applies it).

Entries made after a create of the same record depend on it (`depends_on`) unless told otherwise.
"""

import uuid
from datetime import UTC, datetime
from typing import Any

import msgspec
from sqlalchemy import Connection

from desktop.services.store.changed import Changed
from desktop.services.store.database import Writer
from desktop.services.store.entities import SPECS, complete_values
from desktop.services.store.errors import LocalEditError
from desktop.services.store.jsontext import dumps
from desktop.services.store.outbox import (
    Op,
    OutboxEntry,
    delete_entries,
    dependants,
    entries_for,
    insert_outbox,
    squash_pending,
)
from desktop.services.store.rows import (
    Shadow,
    Touched,
    delete_row,
    read_row,
    read_shadow,
    write_row,
    write_shadow,
)
from desktop.services.store.search_index import reindex
from wire.records import validate_patch, validate_record

_OPS_BY_CLASS: dict[str, frozenset[str]] = {
    "mergeable": frozenset({"create", "update", "delete", "command"}),
    "append_only": frozenset({"append", "command"}),
    "server_owned": frozenset({"command"}),
}


def new_record_id() -> str:
    """A fresh client-side id for a create or an append."""
    return str(uuid.uuid4())


def _validated(entity: str, op: Op, new_values: dict[str, Any]) -> dict[str, Any]:
    values = {k: v for k, v in new_values.items() if k != "id"}
    try:
        if op in ("create", "append"):
            validate_record(entity, values)
            return values
        if op == "update":
            return validate_patch(entity, values)
    except msgspec.ValidationError as exc:
        raise LocalEditError(f"Invalid {entity.replace('_', ' ')}: {exc}") from exc
    if op == "command" and not isinstance(values.get("name"), str):
        raise LocalEditError("A command needs a name.")
    return values if op == "command" else {}


def _ensure_shadow(conn: Connection, entity: str, row_id: str, version: int, values: dict[str, Any]) -> None:
    """Keep the server's copy before the first local change of a row the server knows."""
    if version > 0 and read_shadow(conn, entity, row_id) is None:
        write_shadow(conn, entity, row_id, Shadow(version=version, values=dict(values)))


def _create(
    conn: Connection,
    entity: str,
    row_id: str,
    op: Op,
    values: dict[str, Any],
    depends_on: str | None,
    at: str,
    touched: Touched,
) -> None:
    if read_row(conn, entity, row_id) is not None or entries_for(conn, entity, row_id):
        raise LocalEditError(f"A {entity.replace('_', ' ')} with id {row_id} already exists.")
    write_row(conn, entity, row_id, 0, complete_values(entity, values), touched)
    insert_outbox(
        conn,
        mutation_id=str(uuid.uuid4()),
        entity=entity,
        entity_id=row_id,
        op=op,
        base_version=None,
        base_values=None,
        new_values=values,
        depends_on=depends_on,
        created_at_device=at,
    )


def _update(
    conn: Connection,
    entity: str,
    row_id: str,
    patch: dict[str, Any],
    depends_on: str | None,
    squash: OutboxEntry | None,
    at: str,
    touched: Touched,
) -> bool:
    current = read_row(conn, entity, row_id)
    if current is None:
        raise LocalEditError(f"The {entity.replace('_', ' ')} {row_id} is not in the cache (deleted?).")
    version, values = current
    changed = {f: v for f, v in patch.items() if dumps(values.get(f)) != dumps(v)}
    if not changed:
        return False
    _ensure_shadow(conn, entity, row_id, version, values)
    base = {f: values.get(f) for f in changed}
    write_row(conn, entity, row_id, version, {**values, **changed}, touched)
    if squash is not None and squash.op == "create":
        squash_pending(
            conn,
            squash.client_seq,
            op="create",
            base_values=None,
            new_values={**squash.new_values, **changed},
        )
    elif squash is not None:
        merged_base = {**base, **(squash.base_values or {})}
        squash_pending(
            conn,
            squash.client_seq,
            op="update",
            base_values=merged_base,
            new_values={**squash.new_values, **changed},
        )
    else:
        insert_outbox(
            conn,
            mutation_id=str(uuid.uuid4()),
            entity=entity,
            entity_id=row_id,
            op="update",
            base_version=version if version > 0 else None,
            base_values=base,
            new_values=changed,
            depends_on=depends_on,
            created_at_device=at,
        )
    return True


def _delete(
    conn: Connection,
    entity: str,
    row_id: str,
    entries: list[OutboxEntry],
    depends_on: str | None,
    squash: OutboxEntry | None,
    at: str,
    touched: Touched,
) -> None:
    current = read_row(conn, entity, row_id)
    if current is None:
        raise LocalEditError(f"The {entity.replace('_', ' ')} {row_id} is not in the cache (deleted?).")
    version, values = current
    never_sent = bool(entries) and entries[0].op == "create" and not any(e.may_be_on_server for e in entries)
    if never_sent and dependants(conn, entries[0].mutation_id) == 0:
        delete_entries(conn, [e.client_seq for e in entries])
        delete_row(conn, entity, row_id, touched)
        return
    _ensure_shadow(conn, entity, row_id, version, values)
    delete_row(conn, entity, row_id, touched)
    if squash is not None and squash.op == "update":
        squash_pending(conn, squash.client_seq, op="delete", base_values=squash.base_values, new_values={})
        return
    insert_outbox(
        conn,
        mutation_id=str(uuid.uuid4()),
        entity=entity,
        entity_id=row_id,
        op="delete",
        base_version=version if version > 0 else None,
        base_values=None,
        new_values={},
        depends_on=depends_on,
        created_at_device=at,
    )


def edit_in(
    conn: Connection,
    entity: str,
    row_id: str,
    op: Op,
    new_values: dict[str, Any],
    depends_on: str | None,
    touched: Touched,
    *,
    at: str,
) -> None:
    """`apply_local_edit` on an open writer transaction."""
    entity_spec = SPECS.get(entity)
    if entity_spec is None:
        raise LocalEditError(f"Unknown record type {entity!r}.")
    if op not in _OPS_BY_CLASS[entity_spec.entity_class]:
        raise LocalEditError(f"A {entity.replace('_', ' ')} cannot be changed with {op!r} here.")
    values = _validated(entity, op, new_values)
    if op in ("create", "append"):
        _create(conn, entity, row_id, op, values, depends_on, at, touched)
        touched.changed.outbox = True
        return
    entries = entries_for(conn, entity, row_id)
    last = entries[-1] if entries else None
    squash = (
        last if last is not None and not last.may_be_on_server and last.op in ("create", "update") else None
    )
    if depends_on is None:
        depends_on = next((e.mutation_id for e in entries if e.op in ("create", "append")), None)
    if op == "update":
        if not _update(conn, entity, row_id, values, depends_on, squash, at, touched):
            return
    elif op == "delete":
        _delete(conn, entity, row_id, entries, depends_on, squash, at, touched)
    else:
        current = read_row(conn, entity, row_id)
        base_version = current[0] if current is not None and current[0] > 0 else None
        insert_outbox(
            conn,
            mutation_id=str(uuid.uuid4()),
            entity=entity,
            entity_id=row_id,
            op="command",
            base_version=base_version,
            base_values=None,
            new_values=values,
            depends_on=depends_on,
            created_at_device=at,
        )
    touched.changed.outbox = True


def apply_local_edit(
    writer: Writer,
    entity: str,
    row_id: str,
    op: Op,
    new_values: dict[str, Any],
    depends_on: str | None = None,
) -> Changed:
    """Make a local edit: the visible row, its outbox entry and the search index, one transaction.

    Raises `LocalEditError` (nothing written) for an unknown record, invalid values or an op the
    entity does not take. An update that changes nothing writes nothing and returns an empty value.
    """
    touched = Touched()
    at = datetime.now(UTC).isoformat()
    with writer.transaction() as conn:
        edit_in(conn, entity, row_id, op, new_values, depends_on, touched, at=at)
        reindex(conn, touched.customers)
    return touched.changed
