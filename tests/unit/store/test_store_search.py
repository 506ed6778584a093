"""The search index: prefix words, digit substrings, kept in step with pages and edits, hostile input."""

import pytest

from desktop.services.store import Cache, apply_local_edit, apply_page, search
from desktop.services.store.driver import raw
from tests.unit.store.conftest import ChangeFactory


@pytest.fixture
def filled(cache: Cache, change: ChangeFactory) -> Cache:
    apply_page(
        cache.writer,
        "territory:t1",
        [
            change(
                "customer",
                "c1",
                1,
                display_name="José Müller-O'Brien",
                organisation="Acme Widgets",
                account_number="AC-001234",
            ),
            change("contact_point", "p1", 1, customer_id="c1", kind="phone", value="+447400123456"),
            change(
                "contact_point", "e1", 1, customer_id="c1", kind="email", value="jose.mueller@example.com"
            ),
            change("external_ref", "r1", 1, customer_id="c1", system="billing", key="BX-778899"),
            change("case", "k1", 1, customer_id="c1", number="CS-4242AB"),
            change("customer", "c2", 1, display_name="Zoë Smith", account_number="ZZ-9"),
        ],
        "a",
    )
    return cache


FINDS_C1 = [
    "jos",
    "muller",
    "MÜLL",
    "obrien",
    "acme wid",
    "ac-0012",
    "001234",
    "jose.mueller@ex",
    "jose.mueller",
    "74001",
    "07400 123",
    "+44 7400 123 456",
    "123456",
    "bx-7788",
    "778899",
    "cs-4242",
    "4242",
]


def test_finds_by_any_term(filled: Cache) -> None:
    with filled.read() as conn:
        for query in FINDS_C1:
            assert [h.customer_id for h in search(raw(conn), query)] == ["c1"], query


HOSTILE = [
    '"',
    '""',
    "'",
    "*",
    "-",
    "NEAR(",
    "NEAR(a b",
    'jos" OR "',
    "jos*",
    "-jos",
    "AND",
    "OR NOT",
    "col:jos",
    "^jos",
    "(",
    ")",
    "{terms}: x",
    "\x00",
    "%_\\",
    "1",
    "12",
    "é" * 500,
    "+",
    "()-.",
]


def test_hostile_strings_are_text_never_errors(filled: Cache) -> None:
    with filled.read() as conn:
        for query in HOSTILE:
            hits = search(raw(conn), query)
            assert all(h.customer_id in {"c1", "c2"} for h in hits), query
        assert [h.customer_id for h in search(raw(conn), '"jos*" -')] == ["c1"]


def test_index_follows_edits_and_pages(filled: Cache, change: ChangeFactory) -> None:
    apply_local_edit(filled.writer, "customer", "c2", "update", {"display_name": "Zoë Baker"})
    with filled.read() as conn:
        assert search(raw(conn), "smith") == []
        assert [h.customer_id for h in search(raw(conn), "bake")] == ["c2"]
    apply_page(filled.writer, "territory:t1", [change("contact_point", "p1", 2, op="delete")], "b")
    with filled.read() as conn:
        assert search(raw(conn), "74001") == []
        assert [h.display_name for h in search(raw(conn), "zo")] == ["Zoë Baker"]


def test_limit_bounds_results(cache: Cache, change: ChangeFactory) -> None:
    apply_page(
        cache.writer,
        "directory",
        [change("customer", f"c{i:03}", 1, display_name=f"Sam {i}") for i in range(40)],
        "a",
    )
    with cache.read() as conn:
        assert len(search(raw(conn), "sam", limit=20)) == 20
        assert len(search(raw(conn), "sam 7")) == 1


def test_settling_a_dropped_edit_reindexes_the_server_name(filled: Cache) -> None:
    """A rename that leaves the outbox unapplied (rejected, or a conflict the server kept its value
    for) settles back to the server's name, and search follows the visible row."""
    from desktop.services.store.overlay import settle
    from desktop.services.store.rows import Touched
    from desktop.services.store.schema import outbox

    apply_local_edit(filled.writer, "customer", "c1", "update", {"display_name": "Quentin Blake"})
    with filled.read() as conn:
        assert [h.customer_id for h in search(raw(conn), "quentin")] == ["c1"]
    with filled.writer.transaction() as conn:
        conn.execute(outbox.delete().where(outbox.c.entity_id == "c1"))
        settle(conn, [("customer", "c1")], Touched())
    with filled.read() as conn:
        assert search(raw(conn), "quentin") == []
        assert [h.customer_id for h in search(raw(conn), "jose")] == ["c1"]
