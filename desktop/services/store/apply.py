"""Applying pull pages, and scope resets: each one `BEGIN IMMEDIATE` transaction with its cursor.

A page is applied whole (with its cursor) or not at all: a crash re-fetches the page and
re-applying it is a no-op (upserts skip when the local version is greater or equal). A row the
scope holds as *stale* (the scope is re-priming: a `reset`, a checksum mismatch, a new epoch) is
written whatever its local version: after a restore from backup the old epoch's versions are not
comparable with the server's (a row edited after the backup can be ahead of the restored one), and
a mismatching scope must take the server's copy even at an equal version. The crash
point `inside_page_apply` sits after the page's rows and before the commit (a kill there rolls
the whole page back).

The common case, an upsert of a row without outbox entries that the page sends once (every row of
a snapshot), is applied in bulk per entity (`_upsert_bulk`: one membership `executemany`, one
version lookup, one row `executemany`); every other change goes row by row, in page order. Changes
of different rows are independent, so the split does not change the outcome.

- upsert: the scope now holds the row. Without outbox entries the visible row is written; with
  entries the server shadow is updated and the visible row recomputed (rebase, `overlay.py`);
- delete: no scope holds the row any more; it goes, or with outbox entries it is hidden and its
  tombstone kept in the shadow until the entries are settled;
- scope_out: this scope no longer holds the row; it is deleted when no scope holds it and the
  outbox has no entry (pending, inflight or acked) for it.
"""

from collections import Counter
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import Connection

from desktop.services import crashpoints
from desktop.services.store import scopes, state
from desktop.services.store.changed import Changed
from desktop.services.store.database import Writer
from desktop.services.store.driver import run
from desktop.services.store.entities import record_values
from desktop.services.store.outbox import has_entries
from desktop.services.store.overlay import rebase
from desktop.services.store.rows import (
    NewRow,
    Shadow,
    Touched,
    delete_row,
    delete_shadow,
    delete_shadows,
    local_versions,
    read_shadow,
    read_version,
    write_row,
    write_rows,
    write_shadow,
)
from desktop.services.store.schema import MIRRORS
from desktop.services.store.search_index import mark_dirty, reindex, reindex_dirty
from wire.fast import ValidatedChange

#: deferred search documents rebuilt per transaction (`reindex_pending`)
REINDEX_BATCH: Final = 2000


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _values(change: ValidatedChange) -> dict[str, Any]:
    assert change.record is not None
    values = record_values(change.record)
    values.update({k: v for k, v in change.extra.items() if k not in values})
    return values


def _upsert(conn: Connection, scope: str, change: ValidatedChange, touched: Touched) -> None:
    entity, row_id = change.entity, change.id
    resent = bool(scopes.stale_members(conn, entity, [row_id], scope))
    scopes.hold(conn, entity, row_id, scope)
    if change.record is None:
        return
    if has_entries(conn, entity, row_id):
        shadow = read_shadow(conn, entity, row_id)
        local = shadow.version if shadow is not None else None
        if not resent and local is not None and local >= change.version:
            return
        write_shadow(conn, entity, row_id, Shadow(version=change.version, values=_values(change)))
        rebase(conn, entity, row_id, touched)
        return
    local = read_version(conn, entity, row_id)
    if not resent and local is not None and local >= change.version:
        return
    write_row(conn, entity, row_id, change.version, _values(change), touched)
    delete_shadow(conn, entity, row_id)


def _delete(conn: Connection, change: ValidatedChange, touched: Touched) -> None:
    entity, row_id = change.entity, change.id
    if has_entries(conn, entity, row_id):
        shadow = read_shadow(conn, entity, row_id)
        if shadow is not None and shadow.version > change.version:
            return
        scopes.release(conn, entity, row_id)
        write_shadow(conn, entity, row_id, Shadow(version=change.version, values=None))
        rebase(conn, entity, row_id, touched)
        return
    local = read_version(conn, entity, row_id)
    if local is not None and local > change.version:
        return
    scopes.release(conn, entity, row_id)
    delete_row(conn, entity, row_id, touched)
    delete_shadow(conn, entity, row_id)


def _outbox_keys(conn: Connection) -> set[tuple[str, str]]:
    """(entity, id) of every record with outbox entries (any state)."""
    return {(str(e), str(i)) for e, i in run(conn, "SELECT DISTINCT entity, entity_id FROM outbox")}


def _split(
    conn: Connection, changes: list[ValidatedChange]
) -> tuple[dict[str, list[ValidatedChange]], list[ValidatedChange]]:
    """(upserts to apply in bulk by entity, the rest in page order); changes of other entities go."""
    mirrored = [c for c in changes if c.entity in MIRRORS]
    keys = [(c.entity, c.id) for c in mirrored]
    # a snapshot page sends each row once: counting is only needed when some row repeats
    repeated = Counter(keys) if len(set(keys)) < len(keys) else Counter[tuple[str, str]]()
    queued = _outbox_keys(conn)
    bulk: dict[str, list[ValidatedChange]] = {}
    single: list[ValidatedChange] = []
    for change, key in zip(mirrored, keys, strict=True):
        if change.op == "upsert" and change.record is not None and repeated[key] <= 1 and key not in queued:
            bulk.setdefault(change.entity, []).append(change)
        else:
            single.append(change)
    return bulk, single


def _upsert_bulk(
    conn: Connection, scope: str, entity: str, changes: list[ValidatedChange], touched: Touched
) -> None:
    """`_upsert` for rows without outbox entries, each once in the page: a few statements in all."""
    ids = [c.id for c in changes]
    resent = scopes.stale_members(conn, entity, ids, scope)
    scopes.hold_many(conn, entity, ids, scope)
    local = local_versions(conn, entity, ids)
    newer = [
        NewRow(c.id, c.version, c.record, c.extra)
        for c in changes
        if c.record is not None
        and ((known := local.get(c.id)) is None or known[0] < c.version or c.id in resent)
    ]
    write_rows(conn, entity, newer, {i: v[1] for i, v in local.items()}, touched)
    delete_shadows(conn, entity, [row.row_id for row in newer])


def apply_changes(conn: Connection, scope: str, changes: list[ValidatedChange], touched: Touched) -> None:
    """Apply a page's changes on an open writer transaction (no cursor, no search reindex)."""
    bulk, single = _split(conn, changes)
    for entity, upserts in bulk.items():
        _upsert_bulk(conn, scope, entity, upserts, touched)
    for change in single:
        if change.op == "upsert":
            _upsert(conn, scope, change, touched)
        elif change.op == "delete":
            _delete(conn, change, touched)
        else:
            scopes.release(conn, change.entity, change.id, scope)
            scopes.drop_if_orphan(conn, change.entity, change.id, touched)


def apply_page(
    writer: Writer,
    scope: str,
    changes: list[ValidatedChange],
    next_cursor: str | None,
    *,
    primed: bool | None = None,
    epoch: str | None = None,
    defer_search: bool = False,
) -> Changed:
    """Apply one scope page and store `next_cursor`, in one transaction.

    `primed=True` marks the scope primed (the page that ends its snapshot) and drops the rows a
    re-prime did not send again; `epoch`, when given, is stored with the page. `defer_search`
    (snapshot pages): the customers whose search documents changed are listed in `search_dirty`,
    in this transaction, for `reindex_pending` instead of being rebuilt now.
    """
    touched = Touched()
    with writer.transaction() as conn:
        apply_changes(conn, scope, changes, touched)
        if primed:
            scopes.sweep(conn, scope, touched, stale_only=True)
        state.set_cursor(conn, scope, next_cursor, primed=primed, at=_now())
        if epoch is not None:
            state.set_epoch(conn, epoch)
        if defer_search:
            mark_dirty(conn, touched.customers)
        else:
            reindex(conn, touched.customers)
        crashpoints.hit("inside_page_apply")  # rows, cursor and index written, not yet committed
    touched.changed.scopes.add(scope)
    return touched.changed


def reindex_pending(writer: Writer, batch: int = REINDEX_BATCH) -> int:
    """Rebuild up to `batch` search documents that snapshot pages deferred, in one transaction;
    returns how many (0: none left). Short transactions, so local edits wait at most one batch."""
    with writer.transaction() as conn:
        return reindex_dirty(conn, batch)


def reset_scope(writer: Writer, scope: str) -> Changed:
    """Re-prime a scope (mode "reset", checksum mismatch): cursor None, rows kept until re-sent."""
    with writer.transaction() as conn:
        scopes.mark_stale(conn, scope)
        state.set_cursor(conn, scope, None, primed=False, at=_now())
    return Changed(scopes={scope})


def reset_epoch(writer: Writer, epoch: str) -> Changed:
    """The server's epoch changed: every scope re-primes from a snapshot; the outbox stays."""
    with writer.transaction() as conn:
        scopes.mark_stale(conn)
        names = list(state.read_state(conn).scopes)
        for name in names:
            state.set_cursor(conn, name, None, primed=False, at=_now())
        state.set_epoch(conn, epoch)
    return Changed(scopes=set(names))


def drop_scope(writer: Writer, scope: str) -> Changed:
    """Unsubscribe: forget the scope and delete the rows only it held (unless the outbox needs them)."""
    touched = Touched()
    with writer.transaction() as conn:
        scopes.sweep(conn, scope, touched, stale_only=False)
        state.forget_scope(conn, scope)
        reindex(conn, touched.customers)
    touched.changed.scopes.add(scope)
    return touched.changed
