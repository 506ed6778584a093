"""Sync bookkeeping in the cache: epoch, client id, last success/error, per-scope cursor, primed flag
and the time of the scope's last integrity check (its checksum compared with the server's).

Functions take a connection inside a writer transaction (reads work on any connection), so the
sync engine can commit them together with what they describe.
"""

from dataclasses import dataclass, field

from sqlalchemy import Connection, select, update

from desktop.services.store.driver import run
from desktop.services.store.schema import sync_scope, sync_state


@dataclass(frozen=True)
class ScopeState:
    scope: str
    cursor: str | None
    primed: bool
    #: ISO time (client wall clock) of the scope's last integrity check: its checksum equalled the
    #: server's (or still differed after a re-prime, which is logged); None: not since its snapshot
    verified_at: str | None = None


@dataclass(frozen=True)
class SyncState:
    epoch: str | None
    client_id: str
    last_success_at: str | None
    last_error: str | None
    last_error_at: str | None
    scopes: dict[str, ScopeState] = field(default_factory=dict)


def read_state(conn: Connection) -> SyncState:
    row = conn.execute(select(sync_state).where(sync_state.c.id == 1)).one()
    scopes = {
        str(r.scope): ScopeState(str(r.scope), r.cursor, bool(r.primed), r.verified_at)
        for r in conn.execute(select(sync_scope).order_by(sync_scope.c.scope))
    }
    return SyncState(
        epoch=row.epoch,
        client_id=str(row.client_id),
        last_success_at=row.last_success_at,
        last_error=row.last_error,
        last_error_at=row.last_error_at,
        scopes=scopes,
    )


def set_epoch(conn: Connection, epoch: str | None) -> None:
    run(conn, "UPDATE sync_state SET epoch = ? WHERE id = 1", (epoch,))


def set_client_id(conn: Connection, client_id: str) -> None:
    conn.execute(update(sync_state).where(sync_state.c.id == 1).values(client_id=client_id))


def record_success(conn: Connection, at: str) -> None:
    conn.execute(update(sync_state).where(sync_state.c.id == 1).values(last_success_at=at, last_error=None))


def record_error(conn: Connection, message: str, at: str) -> None:
    conn.execute(update(sync_state).where(sync_state.c.id == 1).values(last_error=message, last_error_at=at))


_SET_CURSOR = (
    "INSERT INTO sync_scope (scope, cursor, primed, updated_at) VALUES (?, ?, ?, ?) "
    "ON CONFLICT(scope) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at"
)


def set_cursor(conn: Connection, scope: str, cursor: str | None, *, primed: bool | None, at: str) -> None:
    """Store a scope's cursor (None restarts priming); `primed` None leaves the flag as it is.

    A scope that starts over from a snapshot (`primed=False`: new, reset, new epoch) is unverified
    until its checksum is compared with the server's again: the check runs "after every reset"
    even when the cycle that reset it fails before comparing. Raw SQL: it runs once per pulled page,
    where compiling the Core statement cost several milliseconds."""
    sql = _SET_CURSOR
    if primed is not None:
        sql += ", primed = excluded.primed"
    if primed is False:
        sql += ", verified_at = NULL"
    run(conn, sql, (scope, cursor, 1 if primed else 0, at))


def forget_scope(conn: Connection, scope: str) -> None:
    conn.execute(sync_scope.delete().where(sync_scope.c.scope == scope))


def mark_verified(conn: Connection, scope: str, at: str) -> None:
    """The scope's integrity check finished at `at` (the daily check counts from it)."""
    conn.execute(update(sync_scope).where(sync_scope.c.scope == scope).values(verified_at=at))
