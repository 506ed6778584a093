"""The profile's cache, opened before any sign-in: what the window needs to show itself.

`open_profile_cache` takes the cache key from the OS keyring (`profile_cache.cache_key`, as
`liaison sync` keeps it), opens the cache checking only its critical tables when asked
(`check="critical"`) and hands back the whole-file integrity check to run later, off the critical
path (`store.integrity`). It imports no HTTP client and no pydantic: a kept sign-in shows the window
from this alone and signs in once the window has painted (`session.complete_session`).

With `quick=True` (the window's start) it first tries `store.quick_open.open_quickly`, which opens
an existing, current file without importing SQLAlchemy; SQLAlchemy is imported only when
`store.startup.open_cache` has to do the open (a new, old, or damaged file).
"""

import logging
from dataclasses import dataclass

from desktop.services.profile_cache import SetupError, cache_key, cache_path
from desktop.services.settings import Paths
from desktop.services.sign_in import SignInFailed
from desktop.services.store.database import Cache
from desktop.services.store.errors import CacheError
from desktop.services.store.integrity import IntegrityCheck
from desktop.services.store.quick_open import open_quickly
from desktop.services.store.report import Check, StartupReport

log = logging.getLogger(__name__)


@dataclass
class OpenedCache:
    """An open profile cache; `integrity` is the whole-file check still to run (None: done)."""

    cache: Cache
    #: what the open found
    report: StartupReport
    integrity: IntegrityCheck | None

    def close(self) -> None:
        """Cancel the integrity check and close the cache (the check's thread must have ended)."""
        if self.integrity is not None:
            self.integrity.cancel()
        self.cache.close()


def open_profile_cache(paths: Paths, *, encrypted: bool, check: Check, quick: bool = False) -> OpenedCache:
    """Open the profile's cache (encrypted with its keyring key unless `encrypted=False`: the
    throwaway demo profile); with `quick`, without SQLAlchemy when the file allows it (its engines
    then open later: `Cache.open_engines`). Raises `SignInFailed` ("keyring", "cache") with the
    reason."""
    try:
        key = cache_key(paths.data_dir.parent, create=True) if encrypted else None
        opened = open_quickly(cache_path(paths), key) if quick else None
        if opened is None:
            from desktop.services.store.startup import open_cache

            opened = open_cache(cache_path(paths), key, check=check)
        cache, report = opened
    except SetupError as exc:
        raise SignInFailed("keyring", str(exc)) from None
    except CacheError as exc:
        raise SignInFailed("cache", str(exc)) from None
    if report.outcome != "opened":
        log.info("%s", report.message())
    integrity = IntegrityCheck(report.path, key) if report.needs_full_check else None
    return OpenedCache(cache, report, integrity)
