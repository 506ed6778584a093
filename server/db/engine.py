"""The database handle: engine creation, read and write transactions, post-commit hooks.

SQLite (the embedded default) runs in WAL mode with `synchronous=FULL`; write transactions start
with `BEGIN IMMEDIATE` so that two writers never deadlock on a lock upgrade. PostgreSQL runs at
READ COMMITTED; writers serialize on the `sync_counter` row lock (SYNC.md section 1).
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # take control of BEGIN ourselves (SQLAlchemy's documented pysqlite recipe)
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def _sqlite_begin(conn: Connection) -> None:
    mode = "IMMEDIATE" if conn.get_execution_options().get("liaison_write") else "DEFERRED"
    conn.exec_driver_sql(f"BEGIN {mode}")


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    """An engine for a database URL (`sqlite:///path` or `postgresql+psycopg://…`)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if parsed.get_backend_name() == "postgresql":
        return create_engine(url, pool_size=pool_size, max_overflow=20, pool_pre_ping=True)
    # anything else: a plain engine; init refuses backends it has not been tested on
    return create_engine(url, poolclass=NullPool)


class Database:
    """One engine plus the hooks that run after a write commits (the SSE poke on SQLite)."""

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = url
        self.engine = make_engine(url, pool_size=pool_size)
        self.dialect = self.engine.dialect.name
        self._after_commit: list[Callable[[int], None]] = []

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @property
    def is_postgres(self) -> bool:
        return self.dialect == "postgresql"

    def on_commit(self, hook: Callable[[int], None]) -> None:
        """Call `hook(head)` after every write transaction that wrote change-log rows."""
        self._after_commit.append(hook)

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction; commits on success, rolls back on error, then runs the hooks."""
        with self.engine.connect() as raw:
            conn = raw.execution_options(liaison_write=True)
            with conn.begin():
                conn.info.pop("liaison_head", None)
                yield conn
            head = conn.info.pop("liaison_head", None)
        if head is not None:
            for hook in self._after_commit:
                hook(head)

    def dispose(self) -> None:
        self.engine.dispose()
