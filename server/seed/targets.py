"""Where bulk rows go: SQLite through `executemany`, PostgreSQL through `COPY`."""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Final

from sqlalchemy import Index

from server.db import tables as t
from server.db.engine import Database
from server.seed.bulk import Row, RowTarget

#: the tables the generators fill
BULK_TABLES: Final = (
    "customer",
    "customer_term",
    "contact_point",
    "external_ref",
    "interaction",
    "support_case",
    "case_note",
    "holding",
    "offer_response",
)

__all__ = ["PostgresTarget", "RowTarget", "SqliteTarget", "open_target"]


class SqliteTarget:
    """`executemany` into SQLite on one DBAPI connection in autocommit mode (BEGIN/COMMIT here).

    Chunks come sorted by primary key (`BulkWriter`): ids are random UUIDs, and a chunk in key
    order walks the primary-key B-tree once instead of jumping around it.
    """

    def __init__(self, dbapi_conn: Any, *, commit_rows: int = 2_000_000) -> None:
        self._conn = dbapi_conn
        self._commit_rows = commit_rows
        self._pending = 0
        self._open = False
        self._sql: dict[str, str] = {}

    def write(self, table: str, columns: Sequence[str], rows: list[Row]) -> None:
        sql = self._sql.get(table)
        if sql is None:
            marks = ", ".join("?" for _ in columns)
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
            self._sql[table] = sql
        if not self._open:
            self._conn.execute("BEGIN IMMEDIATE")
            self._open = True
        self._conn.executemany(sql, rows)
        self._pending += len(rows)
        if self._pending >= self._commit_rows:
            self._conn.execute("COMMIT")
            self._open = False
            self._pending = 0

    def finish(self) -> None:
        if self._open:
            self._conn.execute("COMMIT")
            self._open = False

    def abort(self) -> None:
        if self._open:
            self._conn.execute("ROLLBACK")
            self._open = False


class PostgresTarget:
    """`COPY … FROM STDIN` into PostgreSQL through a psycopg 3 connection."""

    def __init__(self, pg_conn: Any, *, commit_rows: int = 1_000_000) -> None:
        self._conn = pg_conn
        self._commit_rows = commit_rows
        self._pending = 0

    def write(self, table: str, columns: Sequence[str], rows: list[Row]) -> None:
        with (
            self._conn.cursor() as cur,
            cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
        ):
            write_row = copy.write_row
            for row in rows:
                write_row(row)
        self._pending += len(rows)
        if self._pending >= self._commit_rows:
            self._conn.commit()
            self._pending = 0

    def finish(self) -> None:
        self._conn.commit()

    def abort(self) -> None:
        self._conn.rollback()


#: indexes whose keys arrive in random order (phone numbers and emails, external keys, search
#: terms): cheaper to build once after the load. Every other index of the bulk tables gets its keys
#: in rising order (UUIDv7 ids of customers and cases, few distinct values), so keeping it up to
#: date while loading costs an append, and rebuilding it afterwards would cost a sort.
RANDOM_KEY_INDEXES: Final = ("ix_contact_point_value", "ix_external_ref_key", "ix_customer_term_term")


def secondary_indexes() -> list[Index]:
    """The indexes of the bulk-loaded tables that are dropped while seeding, then rebuilt.

    customer_term's unique (term, customer_id) index is among them: the seed writes each
    customer's terms as a set, so rebuilding it cannot fail.
    """
    return [
        index
        for name in BULK_TABLES
        for index in sorted(t.metadata.tables[name].indexes, key=lambda i: str(i.name))
        if index.name in RANDOM_KEY_INDEXES
    ]


def _open_seed_connection(db: Database) -> tuple[Any, Any]:
    """The connection the seed writes through, and the one to close afterwards.

    APSW (about twice as fast at `executemany` as the standard library's driver) when installed,
    on the same file; otherwise the engine's own pysqlite connection.
    """
    try:
        import apsw
    except ImportError:  # pragma: no cover - apsw is a dependency of the server extra
        conn = db.engine.connect()
        return conn.connection.driver_connection, conn
    path = db.engine.url.database
    if not path or path == ":memory:":
        conn = db.engine.connect()
        return conn.connection.driver_connection, conn
    db.engine.dispose()  # nothing else may hold the file while the seed has it exclusively
    raw = apsw.Connection(path)
    raw.setbusytimeout(10_000)
    return _ApswAdapter(raw), raw


class _ApswAdapter:
    """The two calls SqliteTarget and the seed make, on an APSW connection."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    def execute(self, sql: str) -> Any:
        return self._conn.cursor().execute(sql)

    def executemany(self, sql: str, rows: list[Row]) -> None:
        self._conn.cursor().executemany(sql, rows)

    @property
    def in_transaction(self) -> bool:
        return not self._conn.get_autocommit()


def _create_index_sql(index: Index) -> str:
    from sqlalchemy.dialects import sqlite
    from sqlalchemy.schema import CreateIndex

    return str(CreateIndex(index, if_not_exists=True).compile(dialect=sqlite.dialect()))


@contextmanager
def _sqlite(db: Database) -> Iterator[RowTarget]:
    """A dedicated connection that has the database to itself while seeding.

    For the seed only: an exclusive lock, no rollback journal or WAL and no fsync (a crash
    mid-seed can leave a broken file: seed again into a new one), a 1 GiB page cache, and the
    secondary indexes of the bulk tables dropped and rebuilt at the end (sorting once is much
    cheaper than keeping them up to date row by row). Afterwards the file is back in WAL mode
    with exactly the schema it had.
    """
    dbapi, closer = _open_seed_connection(db)
    indexes = secondary_indexes()
    try:
        dbapi.execute("PRAGMA locking_mode=EXCLUSIVE")
        dbapi.execute("PRAGMA journal_mode=OFF")
        dbapi.execute("PRAGMA synchronous=OFF")
        dbapi.execute("PRAGMA cache_size=-1048576")
        dbapi.execute("PRAGMA threads=2")  # the sorter of CREATE INDEX may use a helper thread
        dbapi.execute("PRAGMA foreign_keys=ON")
        dbapi.execute("BEGIN IMMEDIATE")
        for index in indexes:
            dbapi.execute(f"DROP INDEX {index.name}")
        dbapi.execute("COMMIT")
        yield SqliteTarget(dbapi)
    finally:
        if dbapi.in_transaction:
            dbapi.execute("ROLLBACK")
        # also after a failed seed: the schema is complete again
        dbapi.execute("BEGIN IMMEDIATE")
        for index in indexes:
            dbapi.execute(_create_index_sql(index))
        dbapi.execute("COMMIT")
        dbapi.execute("PRAGMA locking_mode=NORMAL")
        dbapi.execute("SELECT count(*) FROM sqlite_master").fetchall()  # releases the lock
        dbapi.execute("PRAGMA journal_mode=WAL")
        dbapi.execute("PRAGMA threads=0")
        dbapi.execute("PRAGMA cache_size=-2000")
        dbapi.execute("PRAGMA synchronous=FULL")
        if hasattr(closer, "invalidate"):
            closer.invalidate()  # closed, not pooled
        closer.close()


@contextmanager
def _postgres(db: Database) -> Iterator[RowTarget]:
    raw = db.engine.raw_connection()
    try:
        yield PostgresTarget(raw.driver_connection)
    finally:
        raw.close()


def open_target(db: Database) -> Any:
    """A context manager giving the database's fastest `RowTarget`."""
    return _postgres(db) if db.is_postgres else _sqlite(db)
