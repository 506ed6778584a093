"""The word index's prefix index (schema v5): fresh caches have it, v4 files get it by a migration
that keeps their documents, needs no backup and rolls back whole; short queries of every shape
(1-8 letters, 1-2 digits, several words, long digit strings) answer from it, at most `limit` hits."""

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import Connection

from desktop.services.store import Cache, apply_page, open_cache, search
from desktop.services.store import migrations as migrations_module
from desktop.services.store.driver import raw
from desktop.services.store.migrations import MIGRATIONS, WITHOUT_BACKUP, migrate
from desktop.services.store.schema import FTS_DDL, WORD_PREFIXES
from tests.unit.store.conftest import ChangeFactory

#: `search_words` as schema v1-v4 created it (no prefix index)
_V4_WORDS = "CREATE VIRTUAL TABLE search_words USING fts5(terms, tokenize='unicode61 remove_diacritics 2')"


def _fill(cache: Cache, change: ChangeFactory) -> None:
    apply_page(
        cache.writer,
        "directory",
        [
            change("customer", "c1", 1, display_name="Ada Lovelace", account_number="AC-001234"),
            change("contact_point", "p1", 1, customer_id="c1", kind="phone", value="+447400123456"),
            change("customer", "c2", 1, display_name="Zoë Øster", organisation="Acme"),
            change("contact_point", "p2", 1, customer_id="c2", kind="phone", value="+12062018178"),
            change("customer", "c3", 1, display_name="Alan Turing", account_number="TU-5"),
        ],
        "a",
    )


def _words_sql(conn: sqlite3.Connection | Connection) -> str:
    query = "SELECT sql FROM sqlite_master WHERE name = 'search_words'"
    if isinstance(conn, sqlite3.Connection):
        return str(conn.execute(query).fetchone()[0])
    return str(conn.exec_driver_sql(query).scalar())


def _documents(path: Path) -> list[tuple[int, str]]:
    conn = sqlite3.connect(path)
    try:
        return [
            (int(d), str(t)) for d, t in conn.execute("SELECT rowid, terms FROM search_words ORDER BY rowid")
        ]
    finally:
        conn.close()


def _make_v4_file(path: Path, change: ChangeFactory) -> list[tuple[int, str]]:
    """A filled cache as the v4 build left it: `search_words` without a prefix index, user_version 4;
    returns its word documents."""
    cache, _ = open_cache(path, None)
    with cache:
        _fill(cache, change)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN")
        conn.execute("ALTER TABLE search_words RENAME TO search_words_new")
        conn.execute(_V4_WORDS)
        conn.execute("INSERT INTO search_words (rowid, terms) SELECT rowid, terms FROM search_words_new")
        conn.execute("DROP TABLE search_words_new")
        conn.execute("PRAGMA user_version = 4")
        conn.execute("COMMIT")
        assert _words_sql(conn) == _V4_WORDS
    finally:
        conn.close()
    documents = _documents(path)
    assert len(documents) == 3
    return documents


def _ids(cache: Cache, query: str, limit: int = 20) -> list[str]:
    with cache.read() as conn:
        return [h.customer_id for h in search(raw(conn), query, limit=limit)]


def test_a_fresh_cache_has_the_prefix_index(cache: Cache) -> None:
    with cache.read() as conn:
        sql = _words_sql(conn)
    assert sql == FTS_DDL["search_words"]
    assert f"prefix='{WORD_PREFIXES}'" in sql and WORD_PREFIXES == "1 2 3 4 5 6 7 8"


def test_a_v4_file_migrates_without_a_backup_and_keeps_its_documents(
    tmp_path: Path, change: ChangeFactory
) -> None:
    path = tmp_path / "cache.db"
    documents = _make_v4_file(path, change)
    cache, report = open_cache(path, None)
    with cache:
        assert (report.outcome, report.schema_before, report.schema_version) == (
            "migrated",
            4,
            len(MIGRATIONS),
        )
        assert report.backup_path is None
        with cache.read() as conn:
            assert _words_sql(conn) == FTS_DDL["search_words"]
            names = {str(r[0]) for r in conn.exec_driver_sql("SELECT name FROM sqlite_master")}
            assert not {n for n in names if "previous" in n}
        assert _ids(cache, "a") == ["c1", "c3", "c2"]  # Ada, Alan, and Zoë's organisation Acme
        assert _ids(cache, "ø") == ["c2"]  # folded to "o" like the document's "oster"
        assert _ids(cache, "zo") == ["c2"]
        assert _ids(cache, "tur") == ["c3"]
        assert _ids(cache, "74") == ["c1"]
    assert not list(tmp_path.glob("*.bak-*"))
    assert _documents(path) == documents


def test_a_file_with_other_steps_pending_still_gets_its_backup(tmp_path: Path, change: ChangeFactory) -> None:
    path = tmp_path / "cache.db"
    _make_v4_file(path, change)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA user_version = 3")  # v4's step (a table it finds already there) is pending
    conn.close()
    assert MIGRATIONS[3] not in WITHOUT_BACKUP and MIGRATIONS[4] in WITHOUT_BACKUP
    cache, report = open_cache(path, None)
    cache.close()
    assert (report.schema_before, report.schema_version) == (3, len(MIGRATIONS))
    assert report.backup_path is not None and report.backup_path.exists()
    assert _words_sql(sqlite3.connect(report.backup_path)) == _V4_WORDS


def test_a_failing_v5_step_leaves_the_v4_file_as_it_was(
    tmp_path: Path, change: ChangeFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What makes the missing backup safe: the step is one transaction."""
    path = tmp_path / "cache.db"
    documents = _make_v4_file(path, change)

    def v5_then_fail(conn: Connection) -> None:
        MIGRATIONS[4](conn)
        assert _words_sql(conn) == FTS_DDL["search_words"]
        raise OSError("disk full")

    monkeypatch.setattr(migrations_module, "WITHOUT_BACKUP", frozenset({v5_then_fail}))
    cache = Cache(path, None)
    with cache, pytest.raises(OSError, match="disk full"):
        migrate(cache.writer, path, None, steps=[*MIGRATIONS[:4], v5_then_fail])
    assert not list(tmp_path.glob("*.bak-*"))
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 4
        assert _words_sql(conn) == _V4_WORDS
    finally:
        conn.close()
    assert _documents(path) == documents
    monkeypatch.undo()
    cache, report = open_cache(path, None)
    with cache:
        assert (report.schema_before, report.schema_version, report.backup_path) == (4, len(MIGRATIONS), None)
        assert _ids(cache, "ad") == ["c1"]


def test_short_queries_of_every_shape_are_bounded(cache: Cache, change: ChangeFactory) -> None:
    page = []
    for i in range(60):
        page.append(change("customer", f"s{i:02}", 1, display_name="Sam Stone", account_number=f"SS-X{i}"))
        phone = f"+1206201{i:04}"
        page.append(change("contact_point", f"q{i:02}", 1, customer_id=f"s{i:02}", kind="phone", value=phone))
    apply_page(cache.writer, "directory", page, "a")
    _fill(cache, change)
    for query in ("s", "sa", "sam", "st", "s s", "1", "12", "20", "+1", "0", "(2", "ss"):
        assert len(_ids(cache, query)) == 20, query
        assert len(_ids(cache, query, limit=5)) == 5, query
    assert _ids(cache, "sam x7") == ["s07"]
    assert _ids(cache, "sam stone x59") == ["s59"]
    # 1-2 digits: a prefix of a digit word (trigram needs 3), 3 or more: a substring
    assert _ids(cache, "7") == ["c1"]  # the national form 7400123456
    assert _ids(cache, "+4") == ["c1"]  # E.164 447400123456
    assert _ids(cache, "07") == ["c1"]  # national with a trunk 0
    assert _ids(cache, "78") == []  # inside c2's numbers, not at the start of a word
    assert _ids(cache, "456") == ["c1"]
    assert _ids(cache, "8178") == ["c2"]


def test_words_another_word_implies_are_not_asked_for() -> None:
    from desktop.services.store.search_query import _needed

    assert _needed(["a", "ada", "ad", "x", "x", "lov", "l"]) == ["ada", "x", "lov"]
    assert _needed(["7", "74", "sam"]) == ["74", "sam"]
    assert _needed([]) == []


def test_implied_words_do_not_change_the_hits(cache: Cache, change: ChangeFactory) -> None:
    _fill(cache, change)
    assert _ids(cache, "a ad ada") == _ids(cache, "ada") == ["c1"]
    assert _ids(cache, "a lovelace") == ["c1"]
    assert _ids(cache, "a t") == ["c3"]  # Alan Turing: one word per letter
    assert _ids(cache, "a z") == ["c2"]  # Acme, Zoë


def test_long_numbers_match_whole_after_a_bounded_phrase(cache: Cache, change: ChangeFactory) -> None:
    """Over 15 digits the trigram phrase is the first 15 and the rest is checked on the candidates."""
    from desktop.services.store.search_query import MAX_PHRASE_DIGITS

    _fill(cache, change)
    long_key = "9876543210123456789012"  # 22 digits, an external key (not a phone)
    apply_page(
        cache.writer,
        "directory",
        [
            change("external_ref", "r1", 1, customer_id="c3", system="bank", key=f"IBAN-{long_key}"),
            change("external_ref", "r2", 1, customer_id="c2", system="bank", key=long_key[:18] + "0000"),
        ],
        "b",
    )
    assert len(long_key) > MAX_PHRASE_DIGITS + 2
    assert _ids(cache, long_key) == ["c3"]  # c2 shares its first 18 digits only
    assert _ids(cache, long_key[:17]) == ["c3", "c2"]
    assert _ids(cache, long_key[2:]) == ["c3"]  # a substring, also past the first 15
    assert _ids(cache, long_key + "1") == []
    assert _ids(cache, "1" * 200) == []
    assert _ids(cache, "98765 43210 12345 67890 12") == ["c3"]


def test_an_upgrade_without_a_backup_says_so_plainly() -> None:
    from desktop.services.store.report import StartupReport

    report = StartupReport(path=Path("cache.db"), outcome="migrated", schema_before=4, schema_version=5)
    assert report.message() == "The offline cache was upgraded."
