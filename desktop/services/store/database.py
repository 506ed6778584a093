"""Connections to the cache file: one writer, read-only readers, SQLCipher when a key is given.

Every connection gets the pragmas of `connect.configure` (`busy_timeout=5000`, `journal_mode=WAL`,
`synchronous=FULL`, `foreign_keys=ON`, SYNC.md §4; readers also `query_only=ON`), and the driver's
own transaction handling is switched off (`isolation_level = None`, SQLAlchemy's pysqlite recipe):
the `begin` event emits `BEGIN IMMEDIATE` on the writer (`BEGIN` on readers) instead. With a key
the engines open the file through SQLAlchemy's `sqlite+pysqlcipher` dialect (sqlcipher3); the
driver connections of `Cache.read_raw()` through `connect.connect`, the same way.

This module imports SQLAlchemy only when an engine is made: a `Cache` opened with `engines=False`
reads through driver connections until its engines are opened (see `Cache`).

Closing: the last connection to close a WAL database first copies into the database file every
WAL frame not yet checkpointed, and syncs it. SQLite's automatic checkpoint (after a commit that
leaves more than 1,000 pages in the WAL) normally keeps that backlog small, but it cannot copy
frames that a reader's open snapshot still needs: frames committed while readers were busy are
left for later, and if nothing writes later, for the close (measured here: about 3.7 ms per MiB
left, so the 12 s once seen at exit is about 3 GiB of WAL). So `Writer.checkpoint()` lets the
application checkpoint at a quiet moment (the shell does after each sync cycle), and `Cache.close()`
closes the readers first and then checkpoints and closes the writer. The writer also sets
`journal_size_limit`, so the WAL file shrinks back after a large transaction instead of keeping
its largest size on disk. None of it changes durability: commits are still synced
(`synchronous=FULL`); a checkpoint only moves committed pages.
"""

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

from desktop.services.store.connect import RawConnection, configure, connect, passphrase
from desktop.services.store.driver import run
from desktop.services.store.errors import CacheError

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine
    from sqlalchemy.engine import URL

#: idle driver connections `Cache.read_raw()` keeps for the next read
RAW_IDLE: Final = 2
log = logging.getLogger(__name__)


def _url(path: Path, key: str | None) -> "URL":
    from sqlalchemy.engine import URL

    if key is None:
        return URL.create("sqlite", database=str(path))
    return URL.create("sqlite+pysqlcipher", password=passphrase(key), database=str(path))


def _on_connect(read_only: bool) -> Any:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        configure(dbapi_connection, read_only=read_only)

    return on_connect


def make_engine(path: Path, key: str | None, *, read_only: bool) -> "Engine":
    """An engine on the cache file; the writer's holds one connection, readers' a small pool."""
    from sqlalchemy import create_engine, event, pool

    url = _url(path, key)
    if read_only:
        engine = create_engine(
            url,
            poolclass=pool.QueuePool,
            pool_size=4,
            max_overflow=4,
            connect_args={"check_same_thread": False},
        )
    else:
        engine = create_engine(url, poolclass=pool.StaticPool, connect_args={"check_same_thread": False})
    event.listen(engine, "connect", _on_connect(read_only))
    begin_sql = "BEGIN" if read_only else "BEGIN IMMEDIATE"

    def begin(conn: "Connection") -> None:
        conn.exec_driver_sql(begin_sql)

    event.listen(engine, "begin", begin)
    return engine


def make_salvage_engine(path: Path, key: str | None) -> "Engine":
    """An engine for reading a damaged file: no pragma that touches the file, `query_only`, and
    `writable_schema` so that SQLite opens a file shorter than its header says (a truncated one)."""
    from sqlalchemy import create_engine, event, pool

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA cipher_log_level = NONE")
            cursor.execute("PRAGMA query_only = ON")
            cursor.execute("PRAGMA writable_schema = ON")
        finally:
            cursor.close()

    engine = create_engine(_url(path, key), poolclass=pool.NullPool)
    event.listen(engine, "connect", on_connect)
    return engine


def _wal_checkpoint(conn: "Connection", mode: str) -> tuple[int, int, int]:
    """On the driver connection: through SQLAlchemy the statement would begin a transaction, and
    SQLite cannot checkpoint inside one."""
    busy, frames, copied = run(conn, f"PRAGMA wal_checkpoint({mode})").fetchone()
    return int(busy), int(frames), int(copied)


class Writer:
    """The one write connection: every write goes through `transaction()` (`BEGIN IMMEDIATE`).

    A lock serialises callers from several threads; the sync engine and the GUI's store lane both
    hand their writes to it. Transactions do not nest.
    """

    def __init__(self, engine: "Engine") -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self._conn: Connection | None = engine.connect()

    @contextmanager
    def transaction(self) -> Iterator["Connection"]:
        with self._lock:
            conn = self._conn
            if conn is None:
                raise CacheError("The cache is closed.")
            with conn.begin():
                yield conn

    def checkpoint(self, mode: Literal["PASSIVE", "TRUNCATE"] = "PASSIVE") -> tuple[int, int, int]:
        """`PRAGMA wal_checkpoint(mode)`; returns (busy, frames in the WAL, frames checkpointed).

        PASSIVE copies what no reader still needs and never waits. TRUNCATE waits (up to the busy
        timeout) for readers of older snapshots, copies everything and empties the WAL file: for
        a quiet moment after a large write, such as the end of priming."""
        with self._lock:
            conn = self._conn
            if conn is None:
                raise CacheError("The cache is closed.")
            return _wal_checkpoint(conn, mode)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            self._engine.dispose()


class _RawReaders:
    """Read-only driver connections for `Cache.read_raw()`: a few kept idle, more opened on demand."""

    def __init__(self, path: Path, key: str | None) -> None:
        self._path = path
        self._key = key
        self._lock = threading.Lock()
        self._idle: list[Any] = []
        self._closed = False

    def take(self) -> Any:
        with self._lock:
            if self._closed:
                raise CacheError("The cache is closed.")
            if self._idle:
                return self._idle.pop()
        return connect(self._path, self._key, read_only=True)

    def give(self, conn: Any) -> None:
        with self._lock:
            if not self._closed and len(self._idle) < RAW_IDLE:
                self._idle.append(conn)
                return
        conn.close()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()


class Cache:
    """An open cache file: the `writer`, read-only SQLAlchemy connections (`read()`) and read-only
    driver connections (`read_raw()`, which the search uses).

    `Cache(path, key)` opens everything. `Cache(path, key, engines=False)` opens only what needs no
    SQLAlchemy: `read_raw()` works at once, and the SQLAlchemy side (the writer's engine, the
    readers' pool: importing SQLAlchemy is about 150 ms) is opened by `open_engines()`, or by the
    first use of `writer` or `read()` — from any thread; a second thread waits for the first. The
    window opens its cache this way (`quick_open.open_quickly`) and opens the engines on a worker
    once it has painted (desktop/app.py)."""

    def __init__(self, path: Path, key: str | None, *, engines: bool = True) -> None:
        self.path = path
        self.encrypted = key is not None
        self._key = key
        self._lock = threading.Lock()
        self._closed = False
        self._writer: Writer | None = None
        self._reader: Engine | None = None
        self._raw = _RawReaders(path, key)
        if engines:
            self.open_engines()

    @property
    def engines_open(self) -> bool:
        return self._writer is not None

    def open_engines(self) -> None:
        """Open the writer and the readers' pool (importing SQLAlchemy the first time); idempotent.

        Raises `CacheError` once the cache is closed; the driver's error when the file cannot be
        opened (as `Cache(path, key)` does)."""
        with self._lock:
            if self._closed:
                raise CacheError("The cache is closed.")
            if self._writer is not None:
                return
            writer = Writer(make_engine(self.path, self._key, read_only=False))
            self._reader = make_engine(self.path, self._key, read_only=True)
            self._writer = writer

    @property
    def writer(self) -> Writer:
        """The one write connection (opening the engines first if they are not yet)."""
        if self._writer is None:
            self.open_engines()
        assert self._writer is not None
        return self._writer

    @contextmanager
    def read(self) -> Iterator["Connection"]:
        """A short read transaction on a read-only connection (WAL lets it run beside the writer)."""
        if self._reader is None:
            self.open_engines()
        assert self._reader is not None
        with self._reader.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def read_raw(self) -> Iterator[RawConnection]:
        """A short read transaction on a read-only driver connection (no SQLAlchemy involved)."""
        conn = self._raw.take()
        healthy = False
        try:
            conn.execute("BEGIN")
            yield conn
            healthy = True
        finally:
            try:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
            except Exception:
                healthy = False
            if healthy:
                self._raw.give(conn)
            else:
                conn.close()

    def close(self) -> None:
        """Close the readers, then checkpoint and close the writer (the last connection: SQLite
        checkpoints what is left and removes the WAL file). Idempotent."""
        with self._lock:
            self._closed = True
            writer, reader = self._writer, self._reader
        self._raw.close()
        if reader is not None:
            reader.dispose()
        if writer is None:
            return
        try:
            writer.checkpoint()
        except CacheError:
            pass  # already closed
        except Exception as exc:  # the driver's own error (plain or SQLCipher): close regardless
            log.info("checkpoint before closing the cache failed: %s", exc)
        writer.close()

    def __enter__(self) -> "Cache":
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
