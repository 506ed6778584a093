"""The window's everyday open of its cache, without SQLAlchemy: `open_quickly(path, key)`.

At a start with a kept sign-in the window is shown from the cache before anything else, and
importing SQLAlchemy (with the store's modules that build SQL with it, about 190 ms here) was most
of the time before the first paint. An existing file usually needs nothing `open_cache` does
beyond checking: no schema to create or migrate, no key check to write, nothing to recover. So
`open_quickly` opens such a file with the driver alone, makes the same checks `open_cache(check=
"critical")` makes, and hands over a `Cache` opened with `engines=False`: its `read_raw()` (the
search box) works at once, and its SQLAlchemy side opens later (`Cache.open_engines()`, which the
window runs on a worker once it has painted; the first use of `writer` or `read()` opens it too).

It gives way to `open_cache` (returns None, having changed nothing) whenever that has more to do:
no file yet, a key that is not verified by the file's key check (`keycheck.py`: "unknown" is
written by `open_cache`), a recovery scheduled by a background check, a schema that is not this
build's (`version.SCHEMA_VERSION`: to create or migrate, or a newer build's, which `open_cache`
refuses with its message), a critical table that fails `PRAGMA quick_check`, or a file the driver
cannot read (`open_cache` recovers it). A wrong or missing key raises `CacheKeyError`, as
`open_cache` does, and leaves the file alone.
"""

import logging
from pathlib import Path

from desktop.services.store.connect import driver_errors
from desktop.services.store.database import Cache
from desktop.services.store.integrity import check_problems, scheduled_problem
from desktop.services.store.keycheck import verify_key
from desktop.services.store.report import StartupReport
from desktop.services.store.version import SCHEMA_VERSION, user_version

log = logging.getLogger(__name__)


def _reason_to_give_way(cache: Cache) -> str | None:
    """Why `open_cache` must open this file instead (None: it is current and its checks pass)."""
    with cache.read_raw() as conn:
        version = user_version(conn)
        if version != SCHEMA_VERSION:
            return f"schema {version}, this build writes {SCHEMA_VERSION}"
        problems = check_problems(conn, "critical")
    return "a critical table failed its check" if problems else None


def open_quickly(path: Path, key: str | None) -> tuple[Cache, StartupReport] | None:
    """The cache at `path` with its critical tables checked and its engines not yet open, or None
    when `open_cache` must open it (see the module's docstring). Raises `CacheKeyError`."""
    if not path.is_file() or verify_key(path, key) != "verified" or scheduled_problem(path) is not None:
        return None
    cache = Cache(path, key, engines=False)
    try:
        reason = _reason_to_give_way(cache)
    except driver_errors() as exc:  # plain or SQLCipher: open_cache recovers the file
        reason = f"the file could not be read: {exc}"
    if reason is not None:
        cache.close()
        log.info("the cache needs the full open: %s", reason)
        return None
    return cache, StartupReport(path, "opened", SCHEMA_VERSION, SCHEMA_VERSION, checked="critical")
