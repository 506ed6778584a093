"""Read queries for the GUI and the screen pop; they run on any connection (readers included)."""

import hashlib
from dataclasses import dataclass, field
from typing import Any, Final

from sqlalchemy import Connection, func, select

from desktop.services.store.driver import run
from desktop.services.store.entities import SPECS
from desktop.services.store.rows import read_row
from desktop.services.store.schema import MIRRORS, outbox, rejected_log

#: rows per hashed batch of `scope_checksum`
_CHECKSUM_ROWS: Final = 5000


@dataclass(frozen=True)
class RowView:
    id: str
    version: int
    values: dict[str, Any]


@dataclass(frozen=True)
class CustomerView:
    customer: RowView
    contact_points: list[RowView] = field(default_factory=list)
    external_refs: list[RowView] = field(default_factory=list)


@dataclass(frozen=True)
class OutboxCounts:
    #: not yet acknowledged by the server (pending or inflight)
    pending: int
    #: acknowledged, waiting for the pull that confirms them
    acked: int
    #: open conflict records
    conflicts: int
    rejected: int


def _children(conn: Connection, entity: str, customer_id: str) -> list[RowView]:
    table = MIRRORS[entity]
    names = SPECS[entity].field_names
    rows = conn.execute(
        select(table).where(table.c.customer_id == customer_id).order_by(table.c.id)
    ).mappings()
    views = []
    for row in rows:
        values = {n: row[n] for n in names}
        values.update({k: v for k, v in dict(row["extra"] or {}).items() if k not in values})
        views.append(RowView(str(row["id"]), int(row["version"]), values))
    return views


def customer(conn: Connection, customer_id: str) -> CustomerView | None:
    """A customer with its contact points and external references."""
    found = read_row(conn, "customer", customer_id)
    if found is None:
        return None
    version, values = found
    return CustomerView(
        customer=RowView(customer_id, version, values),
        contact_points=_children(conn, "contact_point", customer_id),
        external_refs=_children(conn, "external_ref", customer_id),
    )


def customers_by_phone(conn: Connection, e164: str) -> list[RowView]:
    """Customers with a phone contact point equal to this E.164 number (the screen pop's lookup)."""
    cp = MIRRORS["contact_point"]
    ids = conn.execute(
        select(cp.c.customer_id)
        .where(cp.c.kind == "phone", cp.c.value == e164)
        .distinct()
        .order_by(cp.c.customer_id)
    ).scalars()
    views = []
    for customer_id in ids:
        found = read_row(conn, "customer", str(customer_id))
        if found is not None:
            views.append(RowView(str(customer_id), found[0], found[1]))
    return views


def outbox_counts(conn: Connection) -> OutboxCounts:
    rows = conn.execute(select(outbox.c.state, func.count()).group_by(outbox.c.state))
    by_state: dict[str, int] = {str(state): int(count) for state, count in rows}
    conflict = MIRRORS["conflict"]
    conflicts = conn.execute(
        select(func.count()).select_from(conflict).where(conflict.c.status == "open")
    ).scalar()
    rejected = conn.execute(select(func.count()).select_from(rejected_log)).scalar()
    return OutboxCounts(
        pending=int(by_state.get("pending", 0)) + int(by_state.get("inflight", 0)),
        acked=int(by_state.get("acked", 0)),
        conflicts=int(conflicts or 0),
        rejected=int(rejected or 0),
    )


def scope_checksum(conn: Connection, scope: str) -> tuple[int, str]:
    """(count, "sha256:…") over `entity \\t id \\t version \\n` of the rows the scope holds.

    The same computation as the server's `/api/v1/sync/scope_checksum`: entities by name, ids
    bytewise (SQLite's BINARY collation), and each row's *server* version (its shadow's when it
    has local edits). Stale memberships of a scope being re-primed are not counted.

    It reads every row of the scope (the integrity check after priming, then daily): on the driver
    connection, lines made a few thousand at a time and hashed in one update each (the digest is
    the same as line by line), without SQLAlchemy's per-row result processing.
    """
    digest = hashlib.sha256()
    count = 0
    for entity in sorted(MIRRORS):
        rows = run(
            conn,
            "SELECT r.id, coalesce(s.version, m.version) FROM row_scope AS r "
            "LEFT JOIN server_shadow AS s ON s.entity = r.entity AND s.entity_id = r.id "
            f'LEFT JOIN "{entity}" AS m ON m.id = r.id '
            "WHERE r.scope = ? AND r.entity = ? AND r.stale = 0 ORDER BY r.id",
            (scope, entity),
        )
        while part := rows.fetchmany(_CHECKSUM_ROWS):
            lines = [
                f"{entity}\t{row_id}\t{int(version)}\n" for row_id, version in part if version is not None
            ]
            digest.update("".join(lines).encode())
            count += len(lines)
    return count, "sha256:" + digest.hexdigest()
