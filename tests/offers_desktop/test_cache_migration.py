"""Cache schema v6 (recommended offers): a v5 file gains the `region_signal` mirror and the new
`holding.renews_at` / `offer_response.queue_id` columns, keeps its rows (values an older build kept
in `extra` move into their columns), needs no backup, and a failing step leaves the file at v5."""

import json
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import Connection

from desktop.services.offers import OfferModelCache, ranking
from desktop.services.store import Cache, apply_page, open_cache
from desktop.services.store import migrations as migrations_module
from desktop.services.store.migrations import MIGRATIONS, migrate
from tests.offers_desktop.cached import ANA, FAN_OFFER, MESH_OFFER, NOW, fill, iso, ref_changes

V6 = MIGRATIONS.index(migrations_module._v6_offers) + 1


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {str(r[1]) for r in conn.execute(f"PRAGMA table_info({table})")}


def _make_v5_file(path: Path) -> None:
    """A filled cache as the v5 build left it: no `region_signal`, no new columns; the holding's
    renewal date (pulled from a newer server) kept in its `extra` JSON."""
    cache, _ = open_cache(path, None)
    with cache:
        fill(cache)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN")
        conn.execute("DROP TABLE region_signal")
        conn.execute("DELETE FROM row_scope WHERE entity = 'region_signal'")
        conn.execute("ALTER TABLE holding DROP COLUMN renews_at")
        conn.execute("ALTER TABLE offer_response DROP COLUMN queue_id")
        extra = json.dumps({"renews_at": iso(12), "colour": "blue"})
        conn.execute("UPDATE holding SET extra = ? WHERE id = 'h-1'", (extra,))
        conn.execute(f"PRAGMA user_version = {V6 - 1}")
        conn.execute("COMMIT")
    finally:
        conn.close()


def test_a_v5_cache_migrates_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "cache.db"
    _make_v5_file(path)
    cache, report = open_cache(path, None)
    with cache:
        assert (report.outcome, report.schema_before, report.schema_version) == (
            "migrated",
            V6 - 1,
            len(MIGRATIONS),
        )
        assert report.backup_path is None
        with cache.read() as conn:
            row = conn.exec_driver_sql("SELECT renews_at, extra FROM holding WHERE id = 'h-1'").one()
            assert row[0] == iso(12)
            assert json.loads(row[1]) == {"colour": "blue"}  # the unknown field stays in extra
            assert conn.exec_driver_sql("SELECT count(*) FROM region_signal").scalar() == 0
        # the signal arrives with the next ref pull and ranking uses it
        signal = [c for c in ref_changes() if c.entity == "region_signal"]
        apply_page(cache.writer, "ref", signal, "r2")
        with cache.read() as conn:
            ana = ranking(conn, OfferModelCache(), ANA, NOW)
        assert ana is not None and [r.offer.id for r in ana.offers][:2] == [MESH_OFFER, FAN_OFFER]
    plain = sqlite3.connect(path)
    try:
        assert "renews_at" in _columns(plain, "holding") and "queue_id" in _columns(plain, "offer_response")
        assert plain.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    finally:
        plain.close()
    assert not list(tmp_path.glob("*.bak-*"))


def test_a_fresh_cache_is_made_at_v6_and_the_step_is_a_no_op_there(tmp_path: Path) -> None:
    cache, report = open_cache(tmp_path / "cache.db", None)
    with cache:
        assert report.schema_version == len(MIGRATIONS) >= V6
        fill(cache)
        with cache.writer.transaction() as conn:
            migrations_module._v6_offers(conn)  # checks first: nothing to add, nothing moved
        with cache.read() as conn:
            assert conn.exec_driver_sql("SELECT renews_at FROM holding WHERE id = 'h-1'").scalar() == iso(200)


def test_a_failing_v6_step_leaves_the_v5_file_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "cache.db"
    _make_v5_file(path)

    def v6_then_fail(conn: Connection) -> None:
        migrations_module._v6_offers(conn)
        raise OSError("disk full")

    monkeypatch.setattr(migrations_module, "WITHOUT_BACKUP", frozenset({v6_then_fail}))
    cache = Cache(path, None)
    with cache, pytest.raises(OSError, match="disk full"):
        migrate(cache.writer, path, None, steps=[*MIGRATIONS[: V6 - 1], v6_then_fail])
    plain = sqlite3.connect(path)
    try:
        assert plain.execute("PRAGMA user_version").fetchone()[0] == V6 - 1
        assert "renews_at" not in _columns(plain, "holding")
        assert plain.execute("SELECT name FROM sqlite_master WHERE name = 'region_signal'").fetchone() is None
        extra = json.loads(plain.execute("SELECT extra FROM holding WHERE id = 'h-1'").fetchone()[0])
        assert extra["renews_at"] == iso(12)
    finally:
        plain.close()
