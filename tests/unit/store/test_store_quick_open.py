"""The window's quick open of its cache (`store.quick_open.open_quickly`) and a `Cache` whose
SQLAlchemy side opens later (`Cache(engines=False)`).

- an existing, current file with a verified key opens with its critical tables checked and its
  engines closed: `read_raw()` searches it at once, and the first use of `writer` or `read()`
  opens the engines (once, whichever thread asks first);
- whenever `open_cache` has more to do it is left to it, and the file is untouched: no file, a key
  check never written, a scheduled recovery, an older or newer schema, a damaged critical table;
- a wrong key is refused as `open_cache` refuses it;
- `read_raw()` ends its read transaction, keeps a few connections, and refuses once closed.
"""

import hashlib
import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from desktop.services.store import CacheError, CacheKeyError, apply_local_edit, apply_page, open_cache
from desktop.services.store.database import Cache
from desktop.services.store.integrity import schedule_recovery
from desktop.services.store.keycheck import key_check_path
from desktop.services.store.quick_open import open_quickly
from desktop.services.store.search_query import search
from desktop.services.store.version import SCHEMA_VERSION
from tests.unit.store.conftest import KEY, ChangeFactory
from tests.unit.store.test_store_startup_check import _root_page, _spoil

KEYS = pytest.mark.parametrize("key", [None, KEY], ids=["plain", "sqlcipher"])


def _made(path: Path, key: str | None, change: ChangeFactory) -> None:
    """A cache as the sync leaves it: one customer mirrored and indexed, one unsent edit."""
    cache, _ = open_cache(path, key)
    with cache:
        apply_page(cache.writer, "directory", [change("customer", "c1", 1, display_name="Ada Lovelace")], "a")
        apply_local_edit(cache.writer, "customer", "c1", "update", {"region": "North"})


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@KEYS
def test_a_current_file_opens_without_engines_and_searches_at_once(
    tmp_path: Path, change: ChangeFactory, key: str | None
) -> None:
    path = tmp_path / "cache.db"
    _made(path, key, change)
    opened = open_quickly(path, key)
    assert opened is not None
    cache, report = opened
    with cache:
        assert report.outcome == "opened" and report.checked == "critical" and report.needs_full_check
        assert report.schema_version == SCHEMA_VERSION
        assert not cache.engines_open
        with cache.read_raw() as conn:
            assert [h.display_name for h in search(conn, "lovel")] == ["Ada Lovelace"]
        assert not cache.engines_open  # searching needed no SQLAlchemy
        apply_local_edit(cache.writer, "customer", "c1", "update", {"region": "South"})  # opens them
        assert cache.engines_open
        with cache.read() as conn:
            query = text("SELECT count(*) FROM outbox WHERE new_values LIKE '%South%'")
            assert conn.execute(query).scalar() == 1


@KEYS
def test_open_cache_is_left_what_only_it_can_do(
    tmp_path: Path, change: ChangeFactory, key: str | None
) -> None:
    path = tmp_path / "cache.db"
    assert open_quickly(path, key) is None  # no file: open_cache creates it
    assert not path.exists()

    _made(path, key, change)
    key_check_path(path).unlink()  # a file from before key checks: open_cache writes one
    assert open_quickly(path, key) is None
    assert not key_check_path(path).exists()
    with open_cache(path, key)[0]:
        pass
    assert open_quickly(path, key) is not None and key_check_path(path).exists()

    marker = schedule_recovery(path, "damage found by the background check")
    before = _digest(path)
    assert open_quickly(path, key) is None  # the recovery is open_cache's
    assert marker.exists() and _digest(path) == before
    marker.unlink()

    for version in (SCHEMA_VERSION - 1, SCHEMA_VERSION + 1):  # to migrate, or a newer build's file
        cache, _ = open_cache(path, key)
        with cache, cache.writer.transaction() as conn:
            conn.exec_driver_sql(f"PRAGMA user_version = {version}")
        assert open_quickly(path, key) is None


@KEYS
def test_a_damaged_critical_table_is_left_to_open_cache_to_recover(
    tmp_path: Path, change: ChangeFactory, key: str | None
) -> None:
    path = tmp_path / "cache.db"
    _made(path, key, change)
    bulk = [change("customer", f"b{i:04}", 1, display_name="Bulk " + "x" * 300) for i in range(400)]
    with open_cache(path, key)[0] as cache:
        apply_page(cache.writer, "directory", bulk, "b")
        for i in range(200):  # an outbox spread over pages of its own
            apply_local_edit(cache.writer, "customer", f"b{i:04}", "update", {"region": "r" * 200})
        cache.writer.checkpoint("TRUNCATE")
    _spoil(path, _root_page(path, key, "outbox"))
    assert open_quickly(path, key) is None
    cache, report = open_cache(path, key, check="critical")
    with cache:
        assert report.recovered and report.moved_to is not None and report.moved_to.exists()


def test_a_wrong_key_is_refused_and_the_file_left_alone(tmp_path: Path, change: ChangeFactory) -> None:
    path = tmp_path / "cache.db"
    _made(path, KEY, change)
    before = _digest(path)
    with pytest.raises(CacheKeyError, match="wrong key"):
        open_quickly(path, "4e" * 32)
    with pytest.raises(CacheKeyError, match="no key was given"):
        open_quickly(path, None)
    assert _digest(path) == before


def test_engines_open_once_whichever_thread_asks_first(tmp_path: Path, change: ChangeFactory) -> None:
    path = tmp_path / "cache.db"
    _made(path, KEY, change)
    cache = Cache(path, KEY, engines=False)
    with cache:
        writers = []
        start = threading.Barrier(4)

        def ask() -> None:
            start.wait()
            writers.append(cache.writer)

        threads = [threading.Thread(target=ask) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(writers) == 4 and len({id(w) for w in writers}) == 1
        cache.open_engines()  # idempotent
        assert cache.writer is writers[0]
    with pytest.raises(CacheError, match="closed"):
        cache.open_engines()
    with pytest.raises(CacheError, match="closed"), cache.read_raw():
        pass
    cache.close()  # idempotent


def test_read_raw_ends_its_transaction_and_keeps_a_few_connections(
    tmp_path: Path, change: ChangeFactory
) -> None:
    path = tmp_path / "cache.db"
    _made(path, None, change)
    cache = Cache(path, None, engines=False)
    with cache:
        with cache.read_raw() as first, cache.read_raw() as second, cache.read_raw() as third:
            assert len({id(first), id(second), id(third)}) == 3
            assert all(c.in_transaction for c in (first, second, third))  # type: ignore[attr-defined]
        with cache.read_raw() as again:  # the last two given back were kept idle, not opened again
            assert again is third or again is second
        assert not again.in_transaction  # type: ignore[attr-defined]
        with pytest.raises(ValueError), cache.read_raw() as failing:
            failing.execute("SELECT 1")
            raise ValueError("the reader's own error")
        with cache.read_raw() as after:
            assert after is not failing  # a connection that saw an error is not kept
            with pytest.raises(Exception, match=r"readonly|query_only|attempt to write"):
                after.execute("DELETE FROM outbox")  # read-only: query_only is on
