"""Opening the cache: connection settings, one writer with BEGIN IMMEDIATE, encryption, keys, migrations."""

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from desktop.services.store import CacheError, CacheKeyError, apply_local_edit, apply_page, open_cache
from desktop.services.store import migrations as migrations_module
from tests.unit.store.conftest import KEY, ChangeFactory


def _pragmas(conn: Connection) -> tuple[object, ...]:
    return tuple(
        conn.exec_driver_sql(f"PRAGMA {name}").scalar()
        for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
    )


def test_fresh_cache_settings_and_reader_is_read_only(tmp_path: Path) -> None:
    path = tmp_path / "profile" / "cache.db"
    cache, report = open_cache(path, None)
    with cache:
        latest = len(migrations_module.MIGRATIONS)
        assert (report.outcome, report.schema_before, report.schema_version) == ("created", 0, latest)
        with cache.writer.transaction() as conn:
            assert _pragmas(conn) == ("wal", 2, 1, 5000)
            assert conn.exec_driver_sql("PRAGMA user_version").scalar() == latest
        with cache.read() as conn:
            assert _pragmas(conn) == ("wal", 2, 1, 5000)
            assert conn.exec_driver_sql("PRAGMA query_only").scalar() == 1
            with pytest.raises(DBAPIError, match="readonly"):
                conn.execute(text("DELETE FROM outbox"))
    cache, report = open_cache(path, None)
    cache.close()
    assert report.outcome == "opened"
    assert "ready" in report.message()


def test_writer_transactions_begin_immediate(tmp_path: Path) -> None:
    path = tmp_path / "cache.db"
    cache, _ = open_cache(path, None)
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        # the write lock is taken at BEGIN, before any statement ran
        with cache.writer.transaction(), pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
    finally:
        other.close()
        cache.close()


def test_encrypted_cache_round_trip_and_key_errors(tmp_path: Path, change: ChangeFactory) -> None:
    path = tmp_path / "cache.db"
    cache, report = open_cache(path, KEY)
    with cache:
        assert report.outcome == "created" and cache.encrypted
        apply_page(cache.writer, "directory", [change("customer", "c1", 1)], "a")
        apply_local_edit(cache.writer, "customer", "c1", "update", {"region": "North"})
        with cache.writer.transaction() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    header = path.read_bytes()[:16]
    assert header != b"SQLite format 3\x00"
    assert b"Ada Lovelace" not in path.read_bytes()
    before = path.read_bytes()
    with pytest.raises(CacheKeyError, match="wrong key"):
        open_cache(path, "00" * 32)
    with pytest.raises(CacheKeyError, match="no key was given"):
        open_cache(path, None)
    with pytest.raises(CacheKeyError, match="empty"):
        open_cache(path, "")
    assert path.read_bytes() == before
    assert not list(tmp_path.glob("*.corrupt-*"))
    cache, report = open_cache(path, KEY)
    with cache, cache.read() as conn:
        assert report.outcome == "opened"
        assert conn.execute(text("SELECT region FROM customer")).scalar() == "North"


def test_a_plain_cache_refuses_a_key(tmp_path: Path) -> None:
    path = tmp_path / "cache.db"
    open_cache(path, None)[0].close()
    with pytest.raises(CacheKeyError, match="not encrypted"):
        open_cache(path, KEY)


def test_migration_takes_a_backup_first(
    tmp_path: Path, change: ChangeFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "cache.db"
    cache, _ = open_cache(path, KEY)
    with cache:
        apply_page(cache.writer, "directory", [change("customer", "c1", 1)], "a")

    def v2(conn: Connection) -> None:
        conn.exec_driver_sql("CREATE TABLE added_in_v2 (x INTEGER)")

    latest = len(migrations_module.MIGRATIONS)
    monkeypatch.setattr(migrations_module, "MIGRATIONS", [*migrations_module.MIGRATIONS, v2])
    cache, report = open_cache(path, KEY)
    with cache, cache.read() as conn:
        assert (report.outcome, report.schema_before, report.schema_version) == (
            "migrated",
            latest,
            latest + 1,
        )
        assert conn.exec_driver_sql("SELECT count(*) FROM added_in_v2").scalar() == 0
    assert report.backup_path is not None and report.backup_path.exists()
    monkeypatch.undo()
    # the backup is an encrypted copy at the old version, with the data
    backup, backup_report = open_cache(report.backup_path, KEY)
    with backup, backup.read() as conn:
        assert backup_report.outcome == "opened"
        assert conn.execute(text("SELECT count(*) FROM customer")).scalar() == 1
    with pytest.raises(CacheError, match="newer version"):
        open_cache(path, KEY)
