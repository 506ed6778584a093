"""A damaged cache file: moved aside, outbox and acked log salvaged to JSON, re-queued in a fresh cache."""

import json
import os
import random
import stat
from pathlib import Path

import pytest
from sqlalchemy import insert, select, text

from desktop.services.store import (
    Cache,
    CacheKeyError,
    apply_local_edit,
    apply_page,
    new_record_id,
    open_cache,
)
from desktop.services.store.keycheck import key_check_path
from desktop.services.store.schema import acked_log, outbox
from desktop.services.store.state import read_state
from tests.unit.store.conftest import KEY, ChangeFactory

PAGE = 4096


def _build(path: Path, key: str | None, change: ChangeFactory) -> tuple[list[str], str, str]:
    """A cache with three outbox entries and an acked-log row early in the file, then bulk rows."""
    cache, _ = open_cache(path, key)
    with cache:
        apply_page(cache.writer, "directory", [change("customer", "c1", 1)], "a")
        new_id = new_record_id()
        apply_local_edit(cache.writer, "customer", "c1", "update", {"region": "North"})
        apply_local_edit(
            cache.writer, "customer", new_id, "create", {"display_name": "Offline Co", "territory_id": "t1"}
        )
        apply_local_edit(
            cache.writer,
            "interaction",
            new_record_id(),
            "append",
            {"customer_id": new_id, "channel": "field_visit", "occurred_at": "2024-05-01T10:00:00+00:00"},
        )
        with cache.writer.transaction() as conn:
            conn.execute(
                insert(acked_log).values(mutation_id="m-old", client_seq=0, payload="{}", acked_at="x")
            )
            mutation_ids = [
                str(m)
                for m in conn.execute(select(outbox.c.mutation_id).order_by(outbox.c.client_seq)).scalars()
            ]
            client_id = read_state(conn).client_id
        bulk = [
            change("customer", f"bulk-{i:05}", 1, display_name=f"Bulk Customer {i} " + "x" * 200)
            for i in range(1500)
        ]
        apply_page(cache.writer, "directory", bulk, "b")
    return mutation_ids, new_id, client_id


def _assert_recovered(cache: Cache, mutation_ids: list[str], new_id: str, client_id: str) -> None:
    with cache.read() as conn:
        rows = conn.execute(select(outbox).order_by(outbox.c.client_seq)).mappings().all()
        assert [r["mutation_id"] for r in rows] == mutation_ids
        assert {r["state"] for r in rows} == {"pending"}
        assert read_state(conn).client_id == client_id
        # the offline create is visible again at once
        assert (
            conn.execute(text("SELECT display_name FROM customer WHERE id = :i"), {"i": new_id}).scalar()
            == "Offline Co"
        )
        assert conn.execute(text("SELECT count(*) FROM acked_log")).scalar() == 1
    # new entries continue above the salvaged client_seq
    apply_local_edit(cache.writer, "customer", new_id, "command", {"name": "restore"})
    with cache.read() as conn:
        seqs = list(conn.execute(select(outbox.c.client_seq).order_by(outbox.c.client_seq)).scalars())
    assert seqs[-1] > seqs[-2]


@pytest.mark.parametrize("key", [None, KEY], ids=["plain", "sqlcipher"])
def test_garbage_middle_pages_keep_the_outbox(tmp_path: Path, change: ChangeFactory, key: str | None) -> None:
    path = tmp_path / "cache.db"
    mutation_ids, new_id, client_id = _build(path, key, change)
    pages = path.stat().st_size // PAGE
    rng = random.Random(7)
    with path.open("r+b") as handle:
        for page in range(pages // 2, pages // 2 + 8):
            handle.seek(page * PAGE)
            handle.write(rng.randbytes(PAGE))
    cache, report = open_cache(path, key)
    with cache:
        assert report.recovered and report.problem
        assert report.moved_to is not None and report.moved_to.exists()
        assert report.moved_to.name.startswith("cache.db.corrupt-")
        assert report.salvaged_outbox == 3 and report.salvaged_acked == 1
        assert "3 unsent change(s) were recovered" in report.message()
        assert report.export_path is not None
        exported = json.loads(report.export_path.read_text(encoding="utf-8"))
        assert [e["mutation_id"] for e in exported["outbox"]] == mutation_ids
        assert stat.S_IMODE(os.stat(report.export_path).st_mode) == 0o600
        _assert_recovered(cache, mutation_ids, new_id, client_id)
    cache, report = open_cache(path, key)
    cache.close()
    assert report.outcome == "opened"


def test_truncated_file_keeps_the_outbox(tmp_path: Path, change: ChangeFactory) -> None:
    path = tmp_path / "cache.db"
    mutation_ids, new_id, client_id = _build(path, None, change)
    size = path.stat().st_size
    with path.open("r+b") as handle:
        handle.truncate((size // PAGE // 2) * PAGE + 100)
    cache, report = open_cache(path, None)
    with cache:
        assert report.recovered
        _assert_recovered(cache, mutation_ids, new_id, client_id)


def test_zero_byte_file_becomes_a_fresh_cache(tmp_path: Path) -> None:
    path = tmp_path / "cache.db"
    path.write_bytes(b"")
    cache, report = open_cache(path, KEY)
    with cache, cache.read() as conn:
        assert report.outcome == "created"
        assert conn.execute(text("SELECT count(*) FROM outbox")).scalar() == 0


@pytest.mark.parametrize("key", [None, KEY], ids=["plain", "sqlcipher"])
def test_random_bytes_are_moved_aside_and_reported(tmp_path: Path, key: str | None) -> None:
    path = tmp_path / "cache.db"
    path.write_bytes(random.Random(3).randbytes(PAGE * 5))
    cache, report = open_cache(path, key)
    with cache:
        assert report.recovered and report.salvaged_outbox == 0
        assert report.salvage_errors and "could not be read" in report.message()
        assert report.moved_to is not None and report.moved_to.read_bytes() == random.Random(3).randbytes(
            PAGE * 5
        )
        assert report.export_path is not None
        exported = json.loads(report.export_path.read_text(encoding="utf-8"))
        assert exported["outbox"] == [] and exported["errors"]
        apply_page(cache.writer, "directory", [], "a")


def test_damaged_first_page_with_a_verified_key_is_recovered_not_a_key_error(
    tmp_path: Path, change: ChangeFactory
) -> None:
    path = tmp_path / "cache.db"
    _build(path, KEY, change)
    with path.open("r+b") as handle:
        handle.write(b"\x00" * PAGE)
    cache, report = open_cache(path, KEY)
    cache.close()
    assert report.recovered
    # the verifier now belongs to the fresh cache: a wrong key is still refused
    assert key_check_path(path).exists()
    with pytest.raises(CacheKeyError):
        open_cache(path, "11" * 32)
