"""Where bulk rows go: SQLite through `executemany`, PostgreSQL through `COPY`."""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from server.db.engine import Database
from server.seed.bulk import Row, RowTarget

__all__ = ["PostgresTarget", "RowTarget", "SqliteTarget", "open_target"]


class SqliteTarget:
    """`executemany` into SQLite on one DBAPI connection in autocommit mode (BEGIN/COMMIT here)."""

    def __init__(self, dbapi_conn: Any, *, commit_rows: int = 500_000) -> None:
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


@contextmanager
def _sqlite(db: Database) -> Iterator[RowTarget]:
    """A dedicated connection with durability relaxed for the seed only, restored afterwards."""
    raw = db.engine.raw_connection()
    dbapi: Any = raw.driver_connection
    try:
        dbapi.execute("PRAGMA synchronous=OFF")
        dbapi.execute("PRAGMA cache_size=-262144")
        dbapi.execute("PRAGMA wal_autocheckpoint=50000")
        yield SqliteTarget(dbapi)
    finally:
        dbapi.execute("PRAGMA wal_autocheckpoint=1000")
        dbapi.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        dbapi.execute("PRAGMA cache_size=-2000")
        dbapi.execute("PRAGMA synchronous=FULL")
        raw.close()


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
