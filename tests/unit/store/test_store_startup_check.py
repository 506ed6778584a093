"""The start-up integrity check split in two: the critical tables at open, the whole file later.

- `open_cache(check="critical")` checks the tables that hold unsent work and the sync position
  before it hands the cache over: damage there is recovered at once, as with the full check;
- damage elsewhere (a mirror table's pages) passes that check, and `IntegrityCheck`, the
  whole-file check run later, finds it and schedules the recovery: the next `open_cache`, at either
  depth, moves the file aside and re-queues the unsent work;
- the background check can be cancelled before it starts and while SQLite is inside it.
"""

import json
from pathlib import Path
from typing import Literal

import pytest
from sqlalchemy import select, text

from desktop.services.store import CacheKeyError, apply_local_edit, apply_page, new_record_id, open_cache
from desktop.services.store.integrity import (
    CRITICAL_TABLES,
    IntegrityCheck,
    recovery_marker_path,
    schedule_recovery,
)
from desktop.services.store.schema import outbox
from tests.unit.store.conftest import KEY, ChangeFactory

PAGE = 4096
KEYS = pytest.mark.parametrize("key", [None, KEY], ids=["plain", "sqlcipher"])


def _build(path: Path, key: str | None, change: ChangeFactory) -> list[str]:
    """A cache with two unsent edits and 1,500 mirrored customers; returns the edits' mutation ids."""
    cache, _ = open_cache(path, key)
    with cache:
        apply_page(cache.writer, "directory", [change("customer", "c1", 1)], "a")
        apply_local_edit(cache.writer, "customer", "c1", "update", {"region": "North"})
        apply_local_edit(
            cache.writer,
            "customer",
            new_record_id(),
            "create",
            {"display_name": "Offline Co", "territory_id": "t1"},
        )
        bulk = [
            change("customer", f"bulk-{i:05}", 1, display_name=f"Bulk Customer {i} " + "x" * 200)
            for i in range(1500)
        ]
        apply_page(cache.writer, "directory", bulk, "b")
        with cache.read() as conn:
            return [
                str(m)
                for m in conn.execute(select(outbox.c.mutation_id).order_by(outbox.c.client_seq)).scalars()
            ]


def _root_page(path: Path, key: str | None, table: str) -> int:
    cache, _ = open_cache(path, key)
    with cache, cache.read() as conn:
        page = conn.execute(text("SELECT rootpage FROM sqlite_schema WHERE name = :t"), {"t": table}).scalar()
    assert isinstance(page, int) and page > 1
    return page


def _spoil(path: Path, page: int) -> None:
    """Overwrite one page (numbered from 1) with bytes no b-tree page can hold."""
    with path.open("r+b") as handle:
        handle.seek((page - 1) * PAGE)
        handle.write(b"\xa5" * PAGE)


def _pending(path: Path, key: str | None) -> list[str]:
    cache, report = open_cache(path, key, check="critical")
    with cache, cache.read() as conn:
        assert report.outcome == "opened"
        return [
            str(m)
            for m in conn.execute(
                select(outbox.c.mutation_id).where(outbox.c.state == "pending").order_by(outbox.c.client_seq)
            ).scalars()
        ]


def test_the_critical_tables_are_the_unsent_work_and_the_sync_position() -> None:
    assert {"outbox", "acked_log", "rejected_log", "sync_state", "sync_scope", "sqlite_sequence"} <= set(
        CRITICAL_TABLES
    )
    assert "customer" not in CRITICAL_TABLES and "interaction" not in CRITICAL_TABLES


@KEYS
def test_a_damaged_outbox_is_found_at_open_and_recovered_at_once(
    tmp_path: Path, change: ChangeFactory, key: str | None
) -> None:
    path = tmp_path / "cache.db"
    _build(path, key, change)
    _spoil(path, _root_page(path, key, "outbox"))
    cache, report = open_cache(path, key, check="critical")
    with cache:
        assert report.recovered and report.problem
        assert report.moved_to is not None and report.moved_to.exists()
        assert not report.needs_full_check  # a rebuilt file is new: nothing left to check
        with cache.read() as conn:
            assert conn.execute(text("SELECT count(*) FROM customer")).scalar() == 0


@KEYS
def test_a_damaged_mirror_passes_at_open_is_found_in_the_background_and_recovered_next_start(
    tmp_path: Path, change: ChangeFactory, key: str | None
) -> None:
    path = tmp_path / "cache.db"
    mutation_ids = _build(path, key, change)
    _spoil(path, _root_page(path, key, "customer"))

    cache, report = open_cache(path, key, check="critical")
    with cache:
        assert report.outcome == "opened" and report.checked == "critical" and report.needs_full_check
        with cache.read() as conn:  # the unsent work is readable: its tables passed their own check
            assert [
                str(m)
                for m in conn.execute(select(outbox.c.mutation_id).order_by(outbox.c.client_seq)).scalars()
            ] == mutation_ids
        result = IntegrityCheck(path, key).run()
        assert result.outcome == "damaged" and result.problem
        assert result.marker == recovery_marker_path(path) and result.marker.exists()
        assert "restart Liaison Desk to repair" in result.message()
        assert json.loads(result.marker.read_text(encoding="utf-8"))["problem"] == result.problem

    cache, report = open_cache(path, key, check="critical")
    with cache:
        assert report.recovered and report.problem == result.problem
        assert report.salvaged_outbox == len(mutation_ids) == 2
        assert report.moved_to is not None and report.moved_to.name.startswith("cache.db.corrupt-")
        assert not recovery_marker_path(path).exists()
    assert _pending(path, key) == mutation_ids
    assert IntegrityCheck(path, key).run().outcome == "ok"


def test_the_full_check_at_open_still_recovers_a_damaged_mirror_at_once(
    tmp_path: Path, change: ChangeFactory
) -> None:
    path = tmp_path / "cache.db"
    mutation_ids = _build(path, None, change)
    _spoil(path, _root_page(path, None, "customer"))
    cache, report = open_cache(path, None)
    with cache:
        assert report.recovered and report.checked == "full" and report.salvaged_outbox == len(mutation_ids)


def test_a_sound_file_passes_the_background_check_and_schedules_nothing(
    tmp_path: Path, change: ChangeFactory
) -> None:
    path = tmp_path / "cache.db"
    _build(path, KEY, change)
    cache, report = open_cache(path, KEY, check="critical")
    with cache:
        assert report.outcome == "opened"
        apply_local_edit(cache.writer, "customer", "c1", "update", {"region": "South"})
        result = IntegrityCheck(path, KEY).run()
        assert result.outcome == "ok" and result.message() == ""
        assert not recovery_marker_path(path).exists()


@pytest.mark.parametrize("outcome", ["created", "opened"])
def test_a_new_file_needs_no_background_check_an_old_one_does(
    tmp_path: Path, change: ChangeFactory, outcome: Literal["created", "opened"]
) -> None:
    path = tmp_path / "cache.db"
    if outcome == "opened":
        _build(path, None, change)
    cache, report = open_cache(path, None, check="critical")
    cache.close()
    assert report.outcome == outcome
    assert report.needs_full_check is (outcome == "opened")


def test_cancelled_before_it_starts_the_check_reads_nothing(tmp_path: Path, change: ChangeFactory) -> None:
    path = tmp_path / "cache.db"
    _build(path, None, change)
    _spoil(path, _root_page(path, None, "customer"))
    check = IntegrityCheck(path, None)
    check.cancel()
    assert check.run().outcome == "cancelled"
    assert not recovery_marker_path(path).exists()


class _CancelInside(IntegrityCheck):
    """Cancels itself from SQLite's progress callback: the statement is running when `cancel` comes."""

    PROGRESS_STEPS = 1

    def __init__(self, path: Path, key: str | None) -> None:
        super().__init__(path, key)
        self.progress_calls = 0

    def _progress(self) -> bool:
        self.progress_calls += 1
        if self.progress_calls == 1:
            self.cancel()
        return False  # only `interrupt()` may stop it


@KEYS
def test_cancelled_while_sqlite_checks_the_check_stops_and_schedules_nothing(
    tmp_path: Path, change: ChangeFactory, key: str | None
) -> None:
    path = tmp_path / "cache.db"
    _build(path, key, change)
    _spoil(path, _root_page(path, key, "customer"))
    check = _CancelInside(path, key)
    result = check.run()
    assert check.progress_calls >= 1
    assert result.outcome == "cancelled"
    assert not recovery_marker_path(path).exists()


def test_a_marker_without_its_file_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "cache.db"
    schedule_recovery(path, "integrity check failed: page 9")
    cache, report = open_cache(path, None, check="critical")
    cache.close()
    assert report.outcome == "created"
    assert not recovery_marker_path(path).exists()


def test_a_wrong_key_leaves_the_file_and_its_scheduled_recovery_alone(
    tmp_path: Path, change: ChangeFactory
) -> None:
    path = tmp_path / "cache.db"
    _build(path, KEY, change)
    before = path.read_bytes()
    marker = schedule_recovery(path, "integrity check failed: page 9")
    with pytest.raises(CacheKeyError):
        open_cache(path, "11" * 32, check="critical")
    assert path.read_bytes() == before and marker.exists()
    cache, report = open_cache(path, KEY)
    cache.close()
    assert report.recovered and report.problem == "integrity check failed: page 9"
