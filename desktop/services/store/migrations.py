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
  on `interaction` in place of its plain `customer_id` index;
- v4: the `customer_scope_grant` table;
- v5: `search_words` recreated with its prefix index (`schema.WORD_PREFIXES`) and refilled from
  the documents it held (no document is rebuilt from the mirrors: the same rowids and texts);
- v6: recommended offers: the `region_signal` mirror (a `ref` entity) and the new wire fields of
  `holding` (`renews_at`) and `offer_response` (`queue_id`) as columns. A value an older build
  pulled from a newer server sits in the row's `extra` JSON: it moves into its column, so the
  ranking reads it like any other field;
- v7: `ix_row_scope_stale`, the partial index of stale memberships (`schema.py`): the end of a
  scope's snapshot found its stale rows by reading every membership of the scope (0.15 s for
  95,000; seconds on a large territory).

A step listed in `WITHOUT_BACKUP` changes, in its one transaction, only what the cache derives from
its mirrors (the search index, which `search_index.reindex` can rebuild at any time) or only adds empty
tables and nullable columns (v6, which fills the new columns from the same rows' `extra`) or indexes
(v7): an error
or a crash rolls it back, the outbox and logs are never touched and no value is lost, so it needs
no copy of the file first. The copy is taken when any pending step is not listed (a file two versions behind still gets
one); for a 7 GB cache it is another 7 GB and minutes of start-up.
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
from desktop.services.store.driver import raw
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
from desktop.services.store.version import SCHEMA_VERSION
from desktop.services.store.version import user_version as raw_user_version

Migration = Callable[[Connection], None]


def _v1_create(conn: Connection) -> None:
    metadata.create_all(conn)
    for ddl in FTS_DDL.values():
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


def _recreate_fts(conn: Connection, name: str, column: str) -> None:
    """Recreate the FTS5 table `name` as `FTS_DDL` declares it, holding the documents it holds now
    (same rowids, so `search_key` stays right). FTS5 renames its shadow tables with the table."""
    previous = f"{name}_previous"
    conn.exec_driver_sql(f"ALTER TABLE {name} RENAME TO {previous}")
    conn.exec_driver_sql(FTS_DDL[name])
    conn.exec_driver_sql(f"INSERT INTO {name} (rowid, {column}) SELECT rowid, {column} FROM {previous}")
    conn.exec_driver_sql(f"DROP TABLE {previous}")


def _v5_word_prefix_index(conn: Connection) -> None:
    if _table_sql(conn, "search_words") != FTS_DDL["search_words"]:
        _recreate_fts(conn, "search_words", "terms")


#: the mirrors whose wire records gained fields in v6
_V6_GREW: Final = ("holding", "offer_response")


def _v6_offers(conn: Connection) -> None:
    MIRRORS["region_signal"].create(conn, checkfirst=True)
    for entity in _V6_GREW:
        table = MIRRORS[entity]
        present = _columns(conn, entity)
        for column in table.columns:
            if column.name in present:
                continue
            kind = column.type.compile(dialect=conn.dialect)
            conn.exec_driver_sql(f'ALTER TABLE "{entity}" ADD COLUMN "{column.name}" {kind}')
            path = f"$.{column.name}"
            conn.exec_driver_sql(
                f'UPDATE "{entity}" SET "{column.name}" = json_extract(extra, ?), extra = json_remove(extra, ?) '
                "WHERE json_type(extra, ?) IS NOT NULL",
                (path, path, path),
            )


def _v7_stale_members_index(conn: Connection) -> None:
    for index in row_scope.indexes:
        index.create(conn, checkfirst=True)


MIGRATIONS: Final[list[Migration]] = [
    _v1_create,
    _v2_scope_verified_at,
    _v3_priming_layout,
    _v4_customer_scope_grants,
    _v5_word_prefix_index,
    _v6_offers,
    _v7_stale_members_index,
]
if len(MIGRATIONS) != SCHEMA_VERSION:  # pragma: no cover - a build mistake, caught by every test run
    raise RuntimeError(
        f"version.SCHEMA_VERSION is {SCHEMA_VERSION}, but there are {len(MIGRATIONS)} migrations"
    )

#: steps that need no backup before them (see the module's docstring): derived data only, one transaction
WITHOUT_BACKUP: Final[frozenset[Migration]] = frozenset(
    {_v5_word_prefix_index, _v6_offers, _v7_stale_members_index}
)


@dataclass(frozen=True)
class MigrationResult:
    before: int
    after: int
    backup: Path | None


def user_version(conn: Connection) -> int:
    return raw_user_version(raw(conn))


def migrate(
    writer: Writer, path: Path, key: str | None, *, steps: list[Migration] | None = None
) -> MigrationResult:
    """Bring the file to the newest schema; raises `CacheError` for a file from a newer build.

    A file that holds data is copied first (`MigrationResult.backup`) unless every pending step is
    in `WITHOUT_BACKUP`."""
    plan = MIGRATIONS if steps is None else steps
    with writer.transaction() as conn:
        before = user_version(conn)
    if before > len(plan):
        raise CacheError(
            f"The cache was written by a newer version of Liaison Desk (schema {before}, this build "
            f"knows {len(plan)}). Update the application, or remove the cache to rebuild it."
        )
    backup: Path | None = None
    if 0 < before < len(plan) and any(step not in WITHOUT_BACKUP for step in plan[before:]):
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        backup = path.with_name(f"{path.name}.bak-v{before}-{stamp}")
        backup_file(path, backup, key)
    for version in range(before, len(plan)):
        with writer.transaction() as conn:
            plan[version](conn)
            conn.exec_driver_sql(f"PRAGMA user_version = {version + 1}")
    return MigrationResult(before=before, after=len(plan), backup=backup)
