"""The cache's WAL at checkpoints and at close: what a slow exit was made of, and what avoids it.

Frames committed while a reader holds an older snapshot cannot be copied by SQLite's automatic
checkpoint; without a later checkpoint they are all copied by the last connection's close (the
12 s exit once seen with a 2.3 GB file). These tests pin the behaviour the fix relies on: such
frames exist, `Writer.checkpoint()` copies them once the reader is done (without leaving a
transaction open), the WAL file shrinks back to `journal_size_limit`, and `Cache.close()` leaves
no WAL behind with every committed row kept (durability unchanged: `synchronous=FULL`).
"""

from pathlib import Path

import pytest
from sqlalchemy import Connection

from desktop.services.store import Cache, open_cache
from desktop.services.store import connect as connect_module

ROWS = 3_000
#: ~1 KiB of summary per row: a few MiB of WAL, far past the automatic checkpoint's 1,000 pages
SUMMARY = "x" * 1_000


def _wal(path: Path) -> Path:
    return path.with_name(path.name + "-wal")


def _insert(conn: Connection, first: int, count: int) -> None:
    driver = conn.connection.driver_connection
    assert driver is not None
    driver.executemany(
        "INSERT INTO interaction (id, version, customer_id, channel, direction, occurred_at, summary, extra) "
        "VALUES (?, 1, 'c1', 'phone', 'inbound', '2026-01-01T00:00:00+00:00', ?, '{}')",
        [(f"i{n:06d}", SUMMARY) for n in range(first, first + count)],
    )


def _write_behind_a_reader(cache: Cache) -> None:
    """Commit ROWS rows while a reader holds the snapshot from before them (autocheckpoint blocked)."""
    with cache.read() as reader:
        assert reader.exec_driver_sql("SELECT count(*) FROM interaction").scalar() == 0
        with cache.writer.transaction() as conn:
            _insert(conn, 0, ROWS)


def _count(cache: Cache) -> int:
    with cache.read() as conn:
        return int(conn.exec_driver_sql("SELECT count(*) FROM interaction").scalar() or 0)


def test_frames_a_reader_held_back_are_checkpointed_later_without_an_open_transaction(tmp_path: Path) -> None:
    cache, _report = open_cache(tmp_path / "cache.db", None)
    with cache:
        _write_behind_a_reader(cache)
        busy, frames, copied = cache.writer.checkpoint()
        assert busy == 0
        assert frames > 1_000  # the automatic checkpoint could not copy these
        assert copied == frames
        # the checkpoint ran on the driver connection: no transaction was left open on the writer
        with cache.writer.transaction() as conn:
            _insert(conn, ROWS, 1)
        assert _count(cache) == ROWS + 1


def test_truncate_checkpoint_empties_the_wal_file(tmp_path: Path) -> None:
    path = tmp_path / "cache.db"
    cache, _report = open_cache(path, None)
    with cache:
        _write_behind_a_reader(cache)
        assert _wal(path).stat().st_size > ROWS * len(SUMMARY)
        assert cache.writer.checkpoint("TRUNCATE") == (0, 0, 0)
        assert _wal(path).stat().st_size == 0
        assert _count(cache) == ROWS


def test_the_wal_file_shrinks_to_the_size_limit_after_a_large_transaction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    limit = 256 * 1024
    monkeypatch.setattr(connect_module, "WAL_SIZE_LIMIT_BYTES", limit)
    path = tmp_path / "cache.db"
    cache, _report = open_cache(path, None)
    with cache:
        with cache.writer.transaction() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_size_limit").scalar() == limit
            _insert(conn, 0, ROWS)
        assert _wal(path).stat().st_size > limit
        cache.writer.checkpoint()
        with cache.writer.transaction() as conn:  # the WAL restarts from its beginning: truncated
            _insert(conn, ROWS, 1)
        assert _wal(path).stat().st_size <= limit


def test_close_copies_what_is_left_removes_the_wal_and_keeps_every_row(tmp_path: Path) -> None:
    path = tmp_path / "cache.db"
    cache, _report = open_cache(path, None)
    _write_behind_a_reader(cache)
    assert _wal(path).stat().st_size > ROWS * len(SUMMARY)
    cache.close()
    assert not _wal(path).exists()
    cache.close()  # idempotent
    reopened, report = open_cache(path, None)
    with reopened:
        assert report.outcome == "opened"
        assert _count(reopened) == ROWS
        with reopened.writer.transaction() as conn:
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
