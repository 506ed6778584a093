"""The customer search index (FTS5) and the keystroke search over it.

One document per customer in two FTS5 tables sharing a rowid (`search_key.doc`):
- `search_words`: folded words of the names and organisation, emails (whole words and local part),
  handles, the account number (also without its punctuation), external keys, case numbers and the
  phone digit forms: a query's words are prefix-matched, all of them (AND);
- `search_digits` (trigram tokenizer): phone digits (E.164, national, national with trunk 0) and the
  digits of account numbers, external keys and case numbers: a phone-like query of three digits or
  more is matched as a substring.

A query is cut into our own [0-9a-z] words before it reaches FTS5 and every word is quoted, so FTS
syntax in user input (`"`, `*`, `-`, `NEAR(`, `AND`) is only ever text. Results are not ranked by
FTS (no ORDER BY rank on keystrokes): the first `limit` matches are sorted by name.
"""

from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import Connection, select, text

from desktop.services.store.driver import run, scalar
from desktop.services.store.schema import MIRRORS, search_key
from desktop.services.store.text import MAX_QUERY, digits, is_phone_like, phone_forms, words

MAX_QUERY_WORDS: Final = 8
MIN_SUBSTRING_DIGITS: Final = 3
_customer = MIRRORS["customer"]
_contact_point = MIRRORS["contact_point"]
_external_ref = MIRRORS["external_ref"]
_case = MIRRORS["case"]


@dataclass(frozen=True)
class SearchHit:
    customer_id: str
    display_name: str
    organisation: str | None
    account_number: str


def _document(conn: Connection, customer: Any) -> tuple[str, str]:
    """(words text, digits text) of one customer: a row of (id, names…, organisation, account)."""
    customer_id, display_name, given, family, organisation, account_number = customer
    word_set: list[str] = []
    digit_set: list[str] = []
    for value in (display_name, given, family, organisation):
        if value:
            word_set += words(value)
    compact_sources: list[str] = [account_number or ""]
    points = run(conn, "SELECT kind, value FROM contact_point WHERE customer_id = ?", (customer_id,))
    for kind, value in points:
        if not value:
            continue
        if kind == "phone":
            forms = sorted(phone_forms(value))
            word_set += forms
            digit_set += forms
        else:
            word_set += words(value)
            word_set.append("".join(words(value.partition("@")[0])))
    keys = run(conn, "SELECT key FROM external_ref WHERE customer_id = ?", (customer_id,))
    compact_sources += [k for (k,) in keys if k]
    numbers = run(conn, 'SELECT number FROM "case" WHERE customer_id = ?', (customer_id,))
    compact_sources += [n for (n,) in numbers if n]
    for source in compact_sources:
        parts = words(source)
        word_set += parts
        word_set.append("".join(parts))
        number = digits(source)
        if number:
            digit_set.append(number)
    return " ".join(w for w in dict.fromkeys(word_set) if w), " ".join(dict.fromkeys(digit_set))


def reindex(conn: Connection, customer_ids: set[str]) -> None:
    """Rebuild the search documents of these customers (dropping those of deleted customers)."""
    for customer_id in sorted(customer_ids):
        doc = scalar(conn, "SELECT doc FROM search_key WHERE customer_id = ?", (customer_id,))
        if doc is not None:
            run(conn, "DELETE FROM search_words WHERE rowid = ?", (doc,))
            run(conn, "DELETE FROM search_digits WHERE rowid = ?", (doc,))
        customer = run(
            conn,
            "SELECT id, display_name, given_name, family_name, organisation, account_number "
            "FROM customer WHERE id = ?",
            (customer_id,),
        ).fetchone()
        if customer is None:
            if doc is not None:
                run(conn, "DELETE FROM search_key WHERE doc = ?", (doc,))
            continue
        if doc is None:
            doc = scalar(
                conn, "INSERT INTO search_key (customer_id) VALUES (?) RETURNING doc", (customer_id,)
            )
        terms, digit_text = _document(conn, tuple(customer))
        run(conn, "INSERT INTO search_words (rowid, terms) VALUES (?, ?)", (doc, terms))
        run(conn, "INSERT INTO search_digits (rowid, digits) VALUES (?, ?)", (doc, digit_text))


def _match_docs(conn: Connection, table: str, expression: str, limit: int) -> list[int]:
    rows = conn.execute(
        text(f"SELECT rowid FROM {table} WHERE {table} MATCH :m LIMIT :limit"),
        {"m": expression, "limit": limit},
    )
    return [int(r) for r in rows.scalars()]


def search(conn: Connection, query: str, limit: int = 20) -> list[SearchHit]:
    """Customers matching what the user typed; any string is safe, at most `limit` hits."""
    cleaned = query.replace("\x00", " ")[:MAX_QUERY].strip()
    limit = max(1, min(limit, 200))
    if not cleaned:
        return []
    docs: list[int] = []
    number = digits(cleaned)
    if is_phone_like(cleaned) and len(number) >= MIN_SUBSTRING_DIGITS:
        docs = _match_docs(conn, "search_digits", f'"{number}"', limit)
    else:
        terms = words(cleaned)[:MAX_QUERY_WORDS]
        if is_phone_like(cleaned) and number:
            terms = [number]
        if not terms:
            return []
        docs = _match_docs(conn, "search_words", " AND ".join(f'"{t}"*' for t in terms), limit)
    if not docs:
        return []
    c = _customer
    rows = conn.execute(
        select(c.c.id, c.c.display_name, c.c.organisation, c.c.account_number)
        .join(search_key, search_key.c.customer_id == c.c.id)
        .where(search_key.c.doc.in_(docs))
    )
    hits = [SearchHit(str(r.id), r.display_name or "", r.organisation, r.account_number or "") for r in rows]
    hits.sort(key=lambda h: (h.display_name.casefold(), h.customer_id))
    return hits
