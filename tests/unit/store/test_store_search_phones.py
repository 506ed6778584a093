"""Phones in the search index: the word index keeps only each phone form's first two digits (1-2
typed digits), the digit index the E.164 and trunk forms (3+ digits as substrings); a longer number
typed among words still finds a phone; documents built the older way (whole phone forms as words,
national digits too) answer every query the same; document numbers are never reused."""

import pytest

from desktop.services.store import Cache, apply_page, search
from desktop.services.store.apply import reindex_pending
from desktop.services.store.driver import raw
from desktop.services.store.text import phone_forms, phone_index_forms
from tests.unit.store.conftest import ChangeFactory

#: Ada's number (+44 7400 123456) as an agent may type it, whole or in part (3+ digits)
ADA_NUMBERS = (
    "740",
    "07400",
    "07400 123456",
    "7400 123 456",
    "+44 7400 123456",
    "447400123456",
    "123456",
)
#: what an agent may type for Ada (+44 7400 123456, account AC-001234) and for Sam (+1 206 201 8178)
QUERIES = [
    "7",
    "74",
    "+4",
    "44",
    "07",
    "0",
    "1",
    "12",
    "20",
    "78",
    *ADA_NUMBERS,
    "2062018178",
    "(206) 201-8178",
    "ada 74001",
    "ada 0740",
    "ada 4474",
    "ada 74009",
    "ada 74",
    "ada 0012",
    "ada ac",
    "sam 2018",
    "sam 1206",
    "lovelace 740 123",
    "ac-0012",
    "001234",
    "zz 7400",
]


@pytest.fixture
def filled(cache: Cache, change: ChangeFactory) -> Cache:
    apply_page(
        cache.writer,
        "directory",
        [
            change("customer", "c1", 1, display_name="Ada Lovelace", account_number="AC-001234"),
            change("contact_point", "p1", 1, customer_id="c1", kind="phone", value="+447400123456"),
            change("customer", "c2", 1, display_name="Sam Stone"),
            change("contact_point", "p2", 1, customer_id="c2", kind="phone", value="+12062018178"),
            change("customer", "c3", 1, display_name="Zed Zulu", account_number="ZZ-1"),
        ],
        "a",
    )
    return cache


def _hits(cache: Cache) -> dict[str, list[str]]:
    with cache.read() as conn:
        return {q: [h.customer_id for h in search(raw(conn), q)] for q in QUERIES}


def _document(cache: Cache, customer_id: str) -> tuple[list[str], list[str]]:
    with cache.read() as conn:
        words, digits = conn.exec_driver_sql(
            "SELECT w.terms, d.digits FROM search_key k JOIN search_words w ON w.rowid = k.doc "
            "JOIN search_digits d ON d.rowid = k.doc WHERE k.customer_id = ?",
            (customer_id,),
        ).one()
    return str(words).split(), str(digits).split()


def test_phone_index_forms() -> None:
    assert phone_index_forms("+447400123456") == (["07", "44", "74"], ["07400123456", "447400123456"])
    assert phone_forms("+447400123456") == {"447400123456", "7400123456", "07400123456"}
    # an unknown calling code: the digits alone, as `phone_forms` gives them
    assert phone_index_forms("+999123") == (["99"], ["999123"])
    assert phone_index_forms("") == ([], [])


def test_documents_hold_phone_heads_and_digit_strings_only(filled: Cache) -> None:
    words, digits = _document(filled, "c1")
    assert {"07", "44", "74"} <= set(words)
    assert not [w for w in words if w.isdigit() and len(w) > 6]  # no whole phone form is a word
    assert "001234" in words  # account digits stay words (prefix search)
    assert digits == ["07400123456", "447400123456", "001234"]


def test_numbers_find_phones_as_before(filled: Cache) -> None:
    hits = _hits(filled)
    assert hits["7"] == hits["74"] == hits["+4"] == hits["07"] == ["c1"]
    assert hits["0"] == ["c1", "c2"]  # trunk forms 07400… and 0206…
    assert hits["12"] == hits["20"] == ["c2"]
    assert hits["1"] == ["c2", "c3"]  # and Zed's account ZZ-1
    assert hits["78"] == []  # inside Sam's numbers, not at the start of one
    for query in ADA_NUMBERS:
        assert hits[query] == ["c1"], query
    assert hits["2062018178"] == hits["(206) 201-8178"] == ["c2"]


def test_a_longer_number_among_words_is_found_in_the_digits(filled: Cache) -> None:
    hits = _hits(filled)
    assert hits["ada 74001"] == hits["ada 0740"] == hits["ada 4474"] == hits["ada 74"] == ["c1"]
    assert hits["lovelace 740 123"] == ["c1"]
    assert hits["sam 2018"] == hits["sam 1206"] == ["c2"]
    assert hits["ada 74009"] == [] and hits["zz 7400"] == []  # every number must be there
    assert hits["ada 0012"] == hits["ada ac"] == hits["ac-0012"] == hits["001234"] == ["c1"]


def test_documents_of_the_older_form_answer_the_same(filled: Cache) -> None:
    """A cache indexed before phones became heads keeps its documents (no migration rebuilds them)."""
    new = _hits(filled)
    with filled.writer.transaction() as conn:
        for customer_id in ("c1", "c2"):
            doc = conn.exec_driver_sql(
                "SELECT doc FROM search_key WHERE customer_id = ?", (customer_id,)
            ).scalar_one()
            terms = str(
                conn.exec_driver_sql("SELECT terms FROM search_words WHERE rowid = ?", (doc,)).scalar()
            )
            number = str(
                conn.exec_driver_sql("SELECT digits FROM search_digits WHERE rowid = ?", (doc,)).scalar()
            )
            value = "+447400123456" if customer_id == "c1" else "+12062018178"
            forms = sorted(phone_forms(value))
            heads, _ = phone_index_forms(value)
            old_words = " ".join([w for w in terms.split() if w not in heads] + forms)
            old_digits = " ".join(forms + [d for d in number.split() if d not in forms])
            for table, column, text in (
                ("search_words", "terms", old_words),
                ("search_digits", "digits", old_digits),
            ):
                conn.exec_driver_sql(f"DELETE FROM {table} WHERE rowid = ?", (doc,))
                conn.exec_driver_sql(f"INSERT INTO {table} (rowid, {column}) VALUES (?, ?)", (doc, text))
    assert [w for w in _document(filled, "c1")[0] if len(w) > 9] == sorted(phone_forms("+447400123456"))
    assert _hits(filled) == new


def test_document_numbers_are_not_reused(cache: Cache, change: ChangeFactory) -> None:
    """New documents are numbered past the largest ever given (as `AUTOINCREMENT` would), so a
    deleted customer's number never points at another customer's document."""
    apply_page(
        cache.writer,
        "directory",
        [change("customer", f"c{i}", 1, display_name=f"Name{i}") for i in (1, 2, 3)],
        "a",
        defer_search=True,
    )
    assert reindex_pending(cache.writer) == 3
    apply_page(cache.writer, "directory", [change("customer", "c3", 2, op="delete")], "b")
    apply_page(cache.writer, "directory", [change("customer", "c4", 1, display_name="Name4")], "c")
    with cache.read() as conn:
        docs = dict(conn.exec_driver_sql("SELECT customer_id, doc FROM search_key").all())
        assert docs == {"c1": 1, "c2": 2, "c4": 4}
        assert [h.customer_id for h in search(raw(conn), "name4")] == ["c4"]
        assert search(raw(conn), "name3") == []
