"""Priming in the store: snapshot pages defer the search index (crash-safe), the v3 schema step,
raw-SQL cursors, and the ASCII fast path of text folding."""

import re
import sqlite3
import unicodedata
from pathlib import Path

import pytest
from sqlalchemy import Connection

from desktop.services.store import Cache, apply_page, open_cache, reset_scope, search, state
from desktop.services.store import migrations as migrations_module
from desktop.services.store.apply import REINDEX_BATCH, apply_changes, reindex_pending
from desktop.services.store.driver import raw
from desktop.services.store.rows import Touched
from desktop.services.store.search_index import dirty_count, mark_dirty
from desktop.services.store.text import _FOLD_EXTRA, fold, words
from tests.unit.store.conftest import ChangeFactory
from wire.fast import ValidatedChange


def _page_one(change: ChangeFactory) -> list[ValidatedChange]:
    return [
        change("customer", "c1", 1, display_name="Grace Hopper"),
        change("customer", "c2", 1, display_name="Alan Turing"),
    ]


def _page_two(change: ChangeFactory) -> list[ValidatedChange]:
    return [
        change("contact_point", "p1", 1, customer_id="c1", kind="phone", value="+447400123456"),
        change("external_ref", "r1", 1, customer_id="c2", system="billing", key="BX-778899"),
    ]


def _found(cache: Cache, query: str) -> list[str]:
    with cache.read() as conn:
        return [h.customer_id for h in search(raw(conn), query)]


def _documents(cache: Cache) -> dict[str, tuple[str, str]]:
    """customer → (words, digits) of its search documents."""
    with cache.read() as conn:
        rows = conn.exec_driver_sql(
            "SELECT k.customer_id, w.terms, d.digits FROM search_key k "
            "JOIN search_words w ON w.rowid = k.doc JOIN search_digits d ON d.rowid = k.doc"
        )
        return {str(r[0]): (str(r[1]), str(r[2])) for r in rows}


def _dirty(cache: Cache) -> int:
    with cache.read() as conn:
        return dirty_count(conn)


def test_snapshot_pages_defer_the_index_until_reindexed(cache: Cache, change: ChangeFactory) -> None:
    apply_page(cache.writer, "directory", _page_one(change), "a1", defer_search=True)
    apply_page(cache.writer, "directory", _page_two(change), "a2", defer_search=True)
    # not indexed yet, but listed (each customer once, whichever page touched it)
    assert _found(cache, "grace") == [] and _found(cache, "778899") == []
    assert _dirty(cache) == 2
    assert reindex_pending(cache.writer) == 2
    assert reindex_pending(cache.writer) == 0
    assert _dirty(cache) == 0
    assert _found(cache, "grace") == ["c1"]
    assert _found(cache, "07400 123") == ["c1"]
    assert _found(cache, "778899") == ["c2"]


def test_deferred_documents_equal_immediate_ones(tmp_path: Path, change: ChangeFactory) -> None:
    deferred, _ = open_cache(tmp_path / "deferred.db", None)
    immediate, _ = open_cache(tmp_path / "immediate.db", None)
    with deferred, immediate:
        for n, page in enumerate((_page_one(change), _page_two(change))):
            apply_page(deferred.writer, "directory", page, f"a{n}", defer_search=True)
            apply_page(immediate.writer, "directory", page, f"a{n}")
        while reindex_pending(deferred.writer, batch=1):
            pass
        assert _documents(deferred) == _documents(immediate)
        assert set(_documents(deferred)) == {"c1", "c2"}


def test_reindex_pending_works_in_batches(cache: Cache, change: ChangeFactory) -> None:
    page = [change("customer", f"c{n:02}", 1, display_name=f"Person {n}") for n in range(5)]
    apply_page(cache.writer, "directory", page, "a1", defer_search=True)
    assert [reindex_pending(cache.writer, batch=2) for _ in range(4)] == [2, 2, 1, 0]
    assert len(_documents(cache)) == 5
    assert REINDEX_BATCH >= 500


def test_a_deleted_customer_listed_as_dirty_loses_its_document(cache: Cache, change: ChangeFactory) -> None:
    apply_page(cache.writer, "directory", _page_one(change), "a1")
    assert _found(cache, "grace") == ["c1"]
    apply_page(cache.writer, "directory", [change("customer", "c1", 2, op="delete")], "a2", defer_search=True)
    assert _dirty(cache) == 1
    reindex_pending(cache.writer)
    assert _found(cache, "grace") == []
    assert set(_documents(cache)) == {"c2"}


def test_the_dirty_list_commits_with_its_page(tmp_path: Path, change: ChangeFactory) -> None:
    path = tmp_path / "cache.db"
    cache, _ = open_cache(path, None)
    with cache:
        apply_page(cache.writer, "directory", _page_one(change), "a1", defer_search=True)
        with pytest.raises(RuntimeError, match="boom"), cache.writer.transaction() as conn:
            # a page that fails inside its transaction leaves neither rows nor dirty entries
            touched = Touched()
            apply_changes(conn, "directory", _page_two(change), touched)
            mark_dirty(conn, touched.customers | {"c9"})
            raise RuntimeError("boom")
    # a restart (crash after the commit, before the rebuild) finds the list and finishes the work
    cache, _ = open_cache(path, None)
    with cache:
        assert _dirty(cache) == 2
        with cache.read() as conn:
            listed = {str(r[0]) for r in conn.exec_driver_sql("SELECT customer_id FROM search_dirty")}
            assert listed == {"c1", "c2"}
            assert conn.exec_driver_sql("SELECT count(*) FROM contact_point").scalar() == 0
        reindex_pending(cache.writer)
        assert _found(cache, "grace") == ["c1"]


def test_set_cursor_keeps_or_sets_the_primed_flag(cache: Cache) -> None:
    with cache.writer.transaction() as conn:
        state.set_cursor(conn, "s", None, primed=None, at="t0")
        state.set_cursor(conn, "s", "c1", primed=True, at="t1")
        state.mark_verified(conn, "s", "t1")
        state.set_cursor(conn, "s", "c2", primed=None, at="t2")
    with cache.read() as conn:
        assert state.read_state(conn).scopes["s"] == state.ScopeState("s", "c2", True, "t1")
    with cache.writer.transaction() as conn:
        state.set_cursor(conn, "s", None, primed=False, at="t3")
        state.set_cursor(conn, "new", "x", primed=None, at="t3")
        state.set_epoch(conn, "e9")
    with cache.read() as conn:
        read = state.read_state(conn)
        assert read.scopes["s"] == state.ScopeState("s", None, False, None)
        assert read.scopes["new"] == state.ScopeState("new", "x", False, None)
        assert read.epoch == "e9"
        assert conn.exec_driver_sql("SELECT updated_at FROM sync_scope WHERE scope = 's'").scalar() == "t3"


@pytest.mark.parametrize("text", ["Grace HOPPER", "o'brien@EXAMPLE.com", "AC-001234", "", "Zoë Ñúñez", "ß İ"])
def test_fold_fast_path_equals_the_general_rule(text: str) -> None:
    general = "".join(
        c
        for c in unicodedata.normalize("NFKD", text.casefold().translate(_FOLD_EXTRA))
        if not unicodedata.combining(c)
    )
    assert fold(text) == general


# ---- the v3 schema step -----------------------------------------------------------------------

_V2_ROW_SCOPE = (
    "CREATE TABLE row_scope (entity TEXT NOT NULL, id TEXT NOT NULL, scope TEXT NOT NULL, "
    "stale BOOLEAN NOT NULL, PRIMARY KEY (entity, id, scope))"
)


def _make_v2_file(path: Path, change: ChangeFactory) -> None:
    """A cache file as the v2 build left it: `row_scope` with a rowid, no `search_dirty`, the plain
    `customer_id` index on `interaction`, user_version 2 (and some memberships)."""
    cache, _ = open_cache(path, None)
    with cache:
        apply_page(cache.writer, "directory", _page_one(change), "a1")
        apply_page(cache.writer, "queue:q1", [change("customer", "c1", 1, display_name="Grace Hopper")], "b1")
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN")
        conn.execute("ALTER TABLE row_scope RENAME TO row_scope_new")
        conn.execute("DROP INDEX ix_row_scope_scope")
        conn.execute(_V2_ROW_SCOPE)
        conn.execute("CREATE INDEX ix_row_scope_scope ON row_scope (scope, entity, id)")
        conn.execute("INSERT INTO row_scope SELECT entity, id, scope, stale FROM row_scope_new")
        conn.execute("DROP TABLE row_scope_new")
        conn.execute("DROP TABLE search_dirty")
        conn.execute("DROP INDEX ix_interaction_customer_timeline")
        conn.execute("CREATE INDEX ix_interaction_customer_id ON interaction (customer_id)")
        conn.execute("PRAGMA user_version = 2")
        conn.execute("COMMIT")
    finally:
        conn.close()


def _layout(conn: Connection) -> tuple[str, set[str]]:
    sql = str(conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name = 'row_scope'").scalar())
    names = {str(r[0]) for r in conn.exec_driver_sql("SELECT name FROM sqlite_master")}
    return sql, names


def test_v3_step_rebuilds_row_scope_and_adds_the_indexes(tmp_path: Path, change: ChangeFactory) -> None:
    path = tmp_path / "cache.db"
    _make_v2_file(path, change)
    cache, report = open_cache(path, None)
    with cache:
        assert (report.outcome, report.schema_before, report.schema_version) == (
            "migrated",
            2,
            len(migrations_module.MIGRATIONS),
        )
        with cache.read() as conn:
            sql, names = _layout(conn)
            assert "WITHOUT ROWID" in sql.upper()
            assert {"search_dirty", "ix_row_scope_scope", "ix_interaction_customer_timeline"} <= names
            assert "ix_interaction_customer_id" not in names and "row_scope_v2" not in names
            held = sorted(
                tuple(r) for r in conn.exec_driver_sql("SELECT entity, id, scope, stale FROM row_scope")
            )
            assert held == [
                ("customer", "c1", "directory", 0),
                ("customer", "c1", "queue:q1", 0),
                ("customer", "c2", "directory", 0),
            ]
            plan = " ".join(
                str(r[-1])
                for r in conn.exec_driver_sql(
                    "EXPLAIN QUERY PLAN SELECT id, channel FROM interaction WHERE customer_id = ? "
                    "ORDER BY occurred_at DESC, id DESC",
                    ("c1",),
                )
            )
            assert "COVERING INDEX ix_interaction_customer_timeline" in plan
        # the migrated file works as before: memberships and the index
        apply_page(cache.writer, "queue:q1", [change("customer", "c2", 2, display_name="Alan")], "b2")
        assert _found(cache, "alan") == ["c2"]
    # a fresh file has the same layout without any step doing work
    fresh, _ = open_cache(tmp_path / "fresh.db", None)
    with fresh, fresh.read() as conn:
        fresh_sql, fresh_names = _layout(conn)
    with open_cache(path, None)[0] as again, again.read() as conn:
        assert _layout(conn) == (fresh_sql, fresh_names)


def _stale_plan(conn: Connection) -> str:
    rows = conn.exec_driver_sql(
        "EXPLAIN QUERY PLAN SELECT entity, id FROM row_scope WHERE scope = ? AND stale = 1", ("directory",)
    )
    return " ".join(str(r[-1]) for r in rows)


def test_v7_step_indexes_stale_members_and_a_re_prime_still_drops_what_was_not_resent(
    tmp_path: Path, change: ChangeFactory
) -> None:
    path = tmp_path / "cache.db"
    cache, _ = open_cache(path, None)
    with cache:
        apply_page(cache.writer, "directory", _page_one(change), "a1")
        reset_scope(cache.writer, "directory")  # both memberships stale until the snapshot re-sends them
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("DROP INDEX ix_row_scope_stale")
        conn.execute("PRAGMA user_version = 6")
    finally:
        conn.close()
    cache, report = open_cache(path, None)
    with cache:
        assert (report.outcome, report.schema_before, report.backup_path) == ("migrated", 6, None)
        with cache.read() as read:
            assert "ix_row_scope_stale" in _stale_plan(read)
        # the snapshot re-sends c1 only and completes: c2, still stale, goes
        apply_page(cache.writer, "directory", _page_one(change)[:1], "a2", primed=True)
        with cache.read() as read:
            held = [tuple(r) for r in read.exec_driver_sql("SELECT id, stale FROM row_scope ORDER BY id")]
            customers = [str(r[0]) for r in read.exec_driver_sql("SELECT id FROM customer")]
        assert held == [("c1", 0)] and customers == ["c1"]


_APOSTROPHES = re.compile(r"['\u2019\u02bc`]")


@pytest.mark.parametrize(
    "text",
    [
        "O'Brien & Sons",
        "jose.mueller@EXAMPLE.com",
        "AC-00`12 34",
        "  ",
        "Zoë O\u2019Néill",
        "Straße 5",
        "a--b__c",
    ],
)
def test_words_fast_path_equals_the_general_rule(text: str) -> None:
    general = [w for w in re.split(r"[^0-9a-z]+", _APOSTROPHES.sub("", fold(text))) if w]
    assert words(text) == general
