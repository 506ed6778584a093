"""The outbox overlay: visible = server shadow ⊕ the record's outbox entries in `client_seq` order.

Used when a pull page touches a row with outbox entries (the rebase of SYNC.md §2), after salvaged
entries are re-imported, and by the sync engine when entries leave the outbox (`settle`).

- create/append entries stand for the whole record while the server has not sent the row back;
  once a shadow exists the server row already contains them and they are skipped; without a
  shadow the row starts from what is visible (update entries only set fields, so laying them
  again is harmless);
- update entries lay their `new_values` over the row; delete entries hide it; commands change
  nothing locally;
- a shadow without values (deleted on the server) hides the row whatever the entries say.
"""

from typing import Any

from sqlalchemy import Connection

from desktop.services.store.entities import complete_values
from desktop.services.store.outbox import entries_for
from desktop.services.store.rows import Touched, delete_row, delete_shadow, read_row, read_shadow, write_row
from desktop.services.store.scopes import drop_if_orphan
from desktop.services.store.search_index import reindex


def rebase(conn: Connection, entity: str, row_id: str, touched: Touched) -> None:
    """Recompute the visible row from its shadow and outbox entries.

    With no entries left the shadow becomes the row and is dropped, and a row no scope holds is
    deleted (a `scope_out` deferred while edits were pending).
    """
    entries = entries_for(conn, entity, row_id)
    shadow = read_shadow(conn, entity, row_id)
    if not entries:
        if shadow is not None:
            if shadow.values is None:
                delete_row(conn, entity, row_id, touched)
            else:
                write_row(conn, entity, row_id, shadow.version, shadow.values, touched)
            delete_shadow(conn, entity, row_id)
        drop_if_orphan(conn, entity, row_id, touched)
        return
    values: dict[str, Any] | None = None
    version = 0
    if shadow is not None:
        version = shadow.version
        values = None if shadow.values is None else dict(shadow.values)
    else:
        # no server copy: start from what is visible (a local create's row, or nothing yet)
        current = read_row(conn, entity, row_id)
        if current is not None:
            version, values = current
    tombstone = shadow is not None and shadow.values is None
    for entry in entries:
        if entry.op in ("create", "append"):
            if shadow is None:
                values = complete_values(entity, entry.new_values)
        elif entry.op == "update":
            if values is not None:
                values.update(entry.new_values)
        elif entry.op == "delete":
            values = None
    if values is None or tombstone:
        delete_row(conn, entity, row_id, touched)
    else:
        write_row(conn, entity, row_id, version, values, touched)


def settle(conn: Connection, keys: list[tuple[str, str]], touched: Touched) -> None:
    """Rebase rows after the sync engine moved or removed their outbox entries, and bring the
    search documents of the customers they belong to up to date."""
    for entity, row_id in keys:
        rebase(conn, entity, row_id, touched)
    reindex(conn, touched.customers)
