"""Scope membership of rows (`row_scope`): a row stays while a scope holds it or the outbox needs it."""

from collections.abc import Iterable

from sqlalchemy import Connection, and_, delete, select, update

from desktop.services.store.driver import json_rows, run
from desktop.services.store.outbox import has_entries
from desktop.services.store.rows import Touched, delete_row, delete_shadow
from desktop.services.store.schema import MIRRORS, row_scope

_HOLD = (
    "INSERT INTO row_scope (entity, id, scope, stale) SELECT ?, value, ?, 0 FROM json_each(?) WHERE true "
    "ON CONFLICT(entity, id, scope) DO UPDATE SET stale = 0"
)


def hold_many(conn: Connection, entity: str, row_ids: Iterable[str], scope: str) -> None:
    """Record that `scope` holds these rows (and that they are no longer stale there): one statement."""
    run(conn, _HOLD, (entity, scope, json_rows(row_ids)))


def hold(conn: Connection, entity: str, row_id: str, scope: str) -> None:
    hold_many(conn, entity, [row_id], scope)


def stale_members(conn: Connection, entity: str, row_ids: list[str], scope: str) -> set[str]:
    """Those of `row_ids` whose membership of `scope` is stale: the scope is re-priming and the
    server is sending them again (their local copy may be from an older epoch, or wrong)."""
    sql = (
        "SELECT id FROM row_scope WHERE entity = ? AND scope = ? AND stale = 1 "
        "AND id IN (SELECT value FROM json_each(?))"
    )
    return {str(r[0]) for r in run(conn, sql, (entity, scope, json_rows(row_ids)))}


def release(conn: Connection, entity: str, row_id: str, scope: str | None = None) -> None:
    """Forget that `scope` (every scope when None) holds the row."""
    condition = and_(row_scope.c.entity == entity, row_scope.c.id == row_id)
    if scope is not None:
        condition = and_(condition, row_scope.c.scope == scope)
    conn.execute(delete(row_scope).where(condition))


def is_held(conn: Connection, entity: str, row_id: str) -> bool:
    found = run(conn, "SELECT 1 FROM row_scope WHERE entity = ? AND id = ? LIMIT 1", (entity, row_id))
    return found.fetchone() is not None


def scopes_of(conn: Connection, entity: str, row_id: str) -> set[str]:
    query = select(row_scope.c.scope).where(row_scope.c.entity == entity, row_scope.c.id == row_id)
    return {str(s) for s in conn.execute(query).scalars()}


def drop_if_orphan(conn: Connection, entity: str, row_id: str, touched: Touched) -> bool:
    """Delete the row when no scope holds it and no outbox entry needs it."""
    if is_held(conn, entity, row_id) or has_entries(conn, entity, row_id):
        return False
    delete_shadow(conn, entity, row_id)
    return delete_row(conn, entity, row_id, touched)


def mark_stale(conn: Connection, scope: str | None = None) -> None:
    """Before re-priming: the scope's memberships (all when None) stay, marked stale."""
    statement = update(row_scope).values(stale=True)
    if scope is not None:
        statement = statement.where(row_scope.c.scope == scope)
    conn.execute(statement)


def sweep(conn: Connection, scope: str, touched: Touched, *, stale_only: bool) -> int:
    """Remove the scope's (stale) memberships and delete rows left orphaned; returns rows deleted.

    The stale ones are found by the partial index `ix_row_scope_stale` (the condition says
    `stale = 1`, as the index does): a scope whose snapshot completes without any stale member,
    every first priming, costs a lookup instead of a read of all its memberships."""
    condition = "scope = ? AND stale = 1" if stale_only else "scope = ?"
    keys = [
        (str(e), str(i))
        for e, i in run(conn, f"SELECT entity, id FROM row_scope WHERE {condition}", (scope,))
    ]
    run(conn, f"DELETE FROM row_scope WHERE {condition}", (scope,))
    removed = 0
    for entity, row_id in keys:
        if entity in MIRRORS and drop_if_orphan(conn, entity, row_id, touched):
            removed += 1
    return removed
