"""Schema versions: `PRAGMA user_version` and a list of step migrations (step i makes version i+1).

Each step runs in its own `BEGIN IMMEDIATE` transaction together with the `user_version` bump, so
a crash leaves the file at the old or the new version, never between. Before migrating a file
that already holds data, a copy is taken with the SQLite backup API.

Step 1 creates the tables as `schema.py` declares them now, so later steps add only what a file
made by an older build lacks (they check first, and are no-ops on a file step 1 just created):
- v2: `sync_scope.verified_at`, when the scope last passed the daily integrity check;
- v3: `row_scope` rebuilt `WITHOUT ROWID` (one B-tree on its key instead of a table plus a
  unique index: less to write per membership while priming), the `search_dirty` table (search
  documents rebuilt once per customer when a snapshot completes), and the customer timeline index
  on `interaction` in place of its plain `customer_id` index.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from sqlalchemy import Connection, insert

from desktop.services.store.backup import backup_file
from desktop.services.store.database import Writer
from desktop.services.store.errors import CacheError
from desktop.services.store.schema import (
    FTS_DDL,
    MIRRORS,
    customer_scope_grant,
    metadata,
    row_scope,
    search_dirty,
    sync_state,
)

Migration = Callable[[Connection], None]


def _v1_create(conn: Connection) -> None:
    metadata.create_all(conn)
    for ddl in FTS_DDL:
        conn.exec_driver_sql(ddl)
    conn.execute(insert(sync_state).values(id=1, client_id=str(uuid.uuid4())))


def _columns(conn: Connection, table: str) -> set[str]:
    return {str(row[1]) for row in conn.exec_driver_sql(f"PRAGMA table_info({table})")}


def _v2_scope_verified_at(conn: Connection) -> None:
    if "verified_at" not in _columns(conn, "sync_scope"):
        conn.exec_driver_sql("ALTER TABLE sync_scope ADD COLUMN verified_at TEXT")


def _table_sql(conn: Connection, name: str) -> str:
    found = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (name,))
    return str(found.scalar() or "")


def _v3_priming_layout(conn: Connection) -> None:
    if "WITHOUT ROWID" not in _table_sql(conn, "row_scope").upper():
        conn.exec_driver_sql("ALTER TABLE row_scope RENAME TO row_scope_v2")
        conn.exec_driver_sql("DROP INDEX IF EXISTS ix_row_scope_scope")
        row_scope.create(conn)  # the table and its index, as schema.py declares them now
        conn.exec_driver_sql(
            "INSERT INTO row_scope (entity, id, scope, stale) SELECT entity, id, scope, stale FROM row_scope_v2"
        )
        conn.exec_driver_sql("DROP TABLE row_scope_v2")
    search_dirty.create(conn, checkfirst=True)
    conn.exec_driver_sql("DROP INDEX IF EXISTS ix_interaction_customer_id")
    for index in MIRRORS["interaction"].indexes:
        index.create(conn, checkfirst=True)


def _v4_customer_scope_grants(conn: Connection) -> None:
    # builds before v4 created the same table on the first grant: keep what they recorded
    customer_scope_grant.create(conn, checkfirst=True)


MIGRATIONS: Final[list[Migration]] = [
    _v1_create,
    _v2_scope_verified_at,
    _v3_priming_layout,
    _v4_customer_scope_grants,
]


@dataclass(frozen=True)
class MigrationResult:
    before: int
    after: int
    backup: Path | None


def user_version(conn: Connection) -> int:
    value = conn.exec_driver_sql("PRAGMA user_version").scalar()
    return int(value or 0)


def migrate(
    writer: Writer, path: Path, key: str | None, *, steps: list[Migration] | None = None
) -> MigrationResult:
    """Bring the file to the newest schema; raises `CacheError` for a file from a newer build."""
    plan = MIGRATIONS if steps is None else steps
    with writer.transaction() as conn:
        before = user_version(conn)
    if before > len(plan):
        raise CacheError(
            f"The cache was written by a newer version of Liaison Desk (schema {before}, this build "
            f"knows {len(plan)}). Update the application, or remove the cache to rebuild it."
        )
    backup: Path | None = None
    if 0 < before < len(plan):
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        backup = path.with_name(f"{path.name}.bak-v{before}-{stamp}")
        backup_file(path, backup, key)
    for version in range(before, len(plan)):
        with writer.transaction() as conn:
            plan[version](conn)
            conn.exec_driver_sql(f"PRAGMA user_version = {version + 1}")
    return MigrationResult(before=before, after=len(plan), backup=backup)
