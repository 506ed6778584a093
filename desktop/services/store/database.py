"""Connections to the cache file: one writer, read-only readers, SQLCipher when a key is given.

Every connection gets, from a `connect` event: `busy_timeout=5000`, `journal_mode=WAL`,
`synchronous=FULL`, `foreign_keys=ON` (SYNC.md §4); readers also `query_only=ON`. The driver's own
transaction handling is switched off (`isolation_level = None`, SQLAlchemy's pysqlite recipe) and
the `begin` event emits `BEGIN IMMEDIATE` on the writer (`BEGIN` on readers) instead.

With a key the file is opened through SQLAlchemy's `sqlite+pysqlcipher` dialect (sqlcipher3). A
key of 64 hex digits (32 random bytes, as the caller generates them per profile) is used as a raw
key (`x'…'`), which skips SQLCipher's key derivation; any other string is a passphrase.

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

import importlib.util
import logging
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final, Literal

from sqlalchemy import Connection, Engine, create_engine, event, pool
from sqlalchemy.engine import URL

from desktop.services.store.driver import run
from desktop.services.store.errors import CacheError, CacheKeyError

BUSY_TIMEOUT_MS: Final = 5000
#: the size SQLite truncates the WAL file to when it restarts it (`PRAGMA journal_size_limit`)
WAL_SIZE_LIMIT_BYTES: Final = 64 * 2**20
_RAW_KEY: Final = re.compile(r"^[0-9a-fA-F]{64}$")
log = logging.getLogger(__name__)


def _url(path: Path, key: str | None) -> URL:
    if key is None:
        return URL.create("sqlite", database=str(path))
    if not key:
        raise CacheKeyError("The cache encryption key is empty: the profile's key could not be read.")
    if importlib.util.find_spec("sqlcipher3") is None:
        raise CacheError("The encrypted cache needs the sqlcipher3 package, which is not installed.")
    passphrase = f"x'{key}'" if _RAW_KEY.match(key) else key
    return URL.create("sqlite+pysqlcipher", password=passphrase, database=str(path))


def _on_connect(read_only: bool) -> Any:
    def configure(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            # SQLCipher logs decryption failures to stderr; we report them ourselves (plain SQLite ignores it)
            cursor.execute("PRAGMA cipher_log_level = NONE")
            cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            if not read_only:
                cursor.execute("PRAGMA journal_mode = WAL")
                cursor.execute(f"PRAGMA journal_size_limit = {WAL_SIZE_LIMIT_BYTES}")
            cursor.execute("PRAGMA synchronous = FULL")
            cursor.execute("PRAGMA foreign_keys = ON")
            if read_only:
                cursor.execute("PRAGMA query_only = ON")
        finally:
            cursor.close()

    return configure


def make_engine(path: Path, key: str | None, *, read_only: bool) -> Engine:
    """An engine on the cache file; the writer's holds one connection, readers' a small pool."""
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

    def begin(conn: Connection) -> None:
        conn.exec_driver_sql(begin_sql)

    event.listen(engine, "begin", begin)
    return engine


def make_salvage_engine(path: Path, key: str | None) -> Engine:
    """An engine for reading a damaged file: no pragma that touches the file, `query_only`, and
    `writable_schema` so that SQLite opens a file shorter than its header says (a truncated one)."""

    def configure(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA cipher_log_level = NONE")
            cursor.execute("PRAGMA query_only = ON")
            cursor.execute("PRAGMA writable_schema = ON")
        finally:
            cursor.close()

    engine = create_engine(_url(path, key), poolclass=pool.NullPool)
    event.listen(engine, "connect", configure)
    return engine


def _wal_checkpoint(conn: Connection, mode: str) -> tuple[int, int, int]:
    """On the driver connection: through SQLAlchemy the statement would begin a transaction, and
    SQLite cannot checkpoint inside one."""
    busy, frames, copied = run(conn, f"PRAGMA wal_checkpoint({mode})").fetchone()
    return int(busy), int(frames), int(copied)


class Writer:
    """The one write connection: every write goes through `transaction()` (`BEGIN IMMEDIATE`).

    A lock serialises callers from several threads; the sync engine and the GUI's store lane both
    hand their writes to it. Transactions do not nest.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self._conn: Connection | None = engine.connect()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
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


class Cache:
    """An open cache file: the `writer` and read-only connections for the GUI (`read()`)."""

    def __init__(self, path: Path, key: str | None) -> None:
        self.path = path
        self.encrypted = key is not None
        self.writer = Writer(make_engine(path, key, read_only=False))
        self._reader = make_engine(path, key, read_only=True)

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A short read transaction on a read-only connection (WAL lets it run beside the writer)."""
        with self._reader.connect() as conn, conn.begin():
            yield conn

    def close(self) -> None:
        """Close the readers, then checkpoint and close the writer (the last connection: SQLite
        checkpoints what is left and removes the WAL file)."""
        self._reader.dispose()
        try:
            self.writer.checkpoint()
        except CacheError:
            pass  # already closed
        except Exception as exc:  # the driver's own error (plain or SQLCipher): close regardless
            log.info("checkpoint before closing the cache failed: %s", exc)
        self.writer.close()

    def __enter__(self) -> "Cache":
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
