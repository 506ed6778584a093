"""Driver connections to the cache file, with the pragmas every connection gets (no SQLAlchemy).

SQLAlchemy's engines (`database.make_engine`) call `configure` from their `connect` event; the
window's first reads (`Cache.read_raw()`, the search box) and the background integrity check use
`connect`, which opens the same file the same way with the driver alone: plain `sqlite3`, or
`sqlcipher3` with the key given as SQLAlchemy's `sqlite+pysqlcipher` dialect gives it
(`PRAGMA key="…"`). So the window can open the cache, and search it, before SQLAlchemy (about
150 ms of imports) is loaded.

A key of 64 hex digits (32 random bytes, as the caller generates them per profile) is used as a raw
key (`x'…'`), which skips SQLCipher's key derivation; any other string is a passphrase.
"""

import importlib
import importlib.util
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final, Protocol

from desktop.services.store.errors import CacheError, CacheKeyError

BUSY_TIMEOUT_MS: Final = 5000
#: the size SQLite truncates the WAL file to when it restarts it (`PRAGMA journal_size_limit`)
WAL_SIZE_LIMIT_BYTES: Final = 64 * 2**20
_RAW_KEY: Final = re.compile(r"^[0-9a-fA-F]{64}$")


class RawConnection(Protocol):
    """What the raw read path needs of a DB-API connection (`sqlite3` or `sqlcipher3`)."""

    def execute(self, sql: str, parameters: Sequence[Any] = ..., /) -> Any: ...


def passphrase(key: str) -> str:
    """The text SQLCipher gets as the key: a raw key for 64 hex digits, else the passphrase."""
    if not key:
        raise CacheKeyError("The cache encryption key is empty: the profile's key could not be read.")
    if importlib.util.find_spec("sqlcipher3") is None:
        raise CacheError("The encrypted cache needs the sqlcipher3 package, which is not installed.")
    return f"x'{key}'" if _RAW_KEY.match(key) else key


def driver_errors() -> tuple[type[Exception], ...]:
    """The base error classes of the drivers (`sqlite3.Error`, and `sqlcipher3`'s when installed):
    what a statement on a driver connection raises (SQLAlchemy wraps them as `DBAPIError`)."""
    import sqlite3

    errors: list[type[Exception]] = [sqlite3.Error]
    if importlib.util.find_spec("sqlcipher3") is not None:
        errors.append(importlib.import_module("sqlcipher3.dbapi2").Error)
    return tuple(errors)


def configure(dbapi_connection: Any, *, read_only: bool) -> None:
    """The pragmas of every cache connection (SYNC.md §4); the driver's own transaction handling
    off (`isolation_level = None`): transactions are begun explicitly."""
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


def connect(path: Path, key: str | None, *, read_only: bool) -> Any:
    """A configured driver connection to the cache at `path` (usable from any thread, one at a time).

    Nothing is read yet: a wrong key shows at the first statement (`sqlcipher3`'s "file is not a
    database"), as it does through SQLAlchemy."""
    if key is None:
        import sqlite3

        conn: Any = sqlite3.connect(str(path), check_same_thread=False)
    else:
        text = passphrase(key)
        driver: Any = importlib.import_module("sqlcipher3.dbapi2")
        conn = driver.connect(str(path), check_same_thread=False)
        quoted = text.replace('"', '""')
        conn.execute(f'PRAGMA key = "{quoted}"')
    try:
        configure(conn, read_only=read_only)
    except BaseException:
        conn.close()
        raise
    return conn
