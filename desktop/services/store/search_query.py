"""The keystroke search over the customer index (`search_index` builds it), on a driver connection.

`search(conn, query)` takes a raw DB-API connection (`Cache.read_raw()`, or
`driver.raw(connection)` under a SQLAlchemy one) and imports no SQLAlchemy: the window's search box
works from its first paint, before SQLAlchemy is loaded (desktop/app.py).

- `search_words`: a query's words are prefix-matched, all of them (AND), each from the prefix
  index's doclist (`schema.WORD_PREFIXES`);
- `search_digits` (trigram tokenizer): a phone-like query of three digits or more is matched as a
  substring (over 15 digits: by its first 15, then checked whole). A trigram index cannot match
  fewer than 3 characters, so 1-2 typed digits are a prefix of a digit word instead (`"20"*`: a
  phone's E.164, national or trunk form, an account or key number starting with them). A number of
  3+ digits typed among other words (`smith 7700`) is looked for as a substring of the digits of
  what the other words find (`_word_docs`, bounded).

Every query shape is bounded: at most 8 words (fewer when one implies another), each one lazily
read doclist of the prefix index (or a merge of the few terms longer than 8 characters that start
with it), at most a 15-digit trigram phrase, LIMIT `limit` (at most 200), and at most
`MAX_CANDIDATES` documents checked in Python.

A query is cut into our own [0-9a-z] words before it reaches FTS5 and every word is quoted, so FTS
syntax in user input (`"`, `*`, `-`, `NEAR(`, `AND`) is only ever text. Results are not ranked by
FTS (no ORDER BY rank on keystrokes): the first `limit` matches are sorted by name.
"""

from dataclasses import dataclass
from typing import Final

from desktop.services.store.connect import RawConnection
from desktop.services.store.text import MAX_QUERY, digits, is_phone_like, words

MAX_QUERY_WORDS: Final = 8
MIN_SUBSTRING_DIGITS: Final = 3
#: a trigram phrase costs FTS5 a doclist walk per trigram: longer numbers are matched by their first
#: `MAX_PHRASE_DIGITS` digits (a phone has at most 15), and the candidates are kept if they hold the
#: whole number, up to `MAX_CANDIDATES` of them (200 typed digits were 0.3 s as one phrase)
MAX_PHRASE_DIGITS: Final = 15
MAX_CANDIDATES: Final = 200
#: the scope that brings every customer (the cache can answer every search once it is primed)
DIRECTORY_SCOPE: Final = "directory"


@dataclass(frozen=True)
class SearchHit:
    customer_id: str
    display_name: str
    organisation: str | None
    account_number: str


def _match_docs(conn: RawConnection, table: str, expression: str, limit: int) -> list[int]:
    rows = conn.execute(f"SELECT rowid FROM {table} WHERE {table} MATCH ? LIMIT ?", (expression, limit))
    return [int(r[0]) for r in rows]


def _digit_docs(conn: RawConnection, number: str, limit: int) -> list[int]:
    """Documents whose digits hold `number` (3 digits or more) as a substring, at most `limit`."""
    if len(number) <= MAX_PHRASE_DIGITS:
        return _match_docs(conn, "search_digits", f'"{number}"', limit)
    rows = conn.execute(
        "SELECT rowid, digits FROM search_digits WHERE search_digits MATCH ? LIMIT ?",
        (f'"{number[:MAX_PHRASE_DIGITS]}"', MAX_CANDIDATES),
    )
    return [int(doc) for doc, held in rows if number in str(held)][:limit]


def _word_docs(conn: RawConnection, terms: list[str], limit: int) -> list[int]:
    """Documents with a word starting with each of `terms`, at most `limit`.

    A phone is a word only by its first digits (`text.phone_index_forms`), so a longer number
    among other words (`smith 7700`) is also looked for as a substring of the digits of the first
    `MAX_CANDIDATES` documents the other words find, when the words alone found fewer than `limit`."""
    docs = _match_docs(conn, "search_words", " AND ".join(f'"{t}"*' for t in terms), limit)
    numbers = [t for t in terms if t.isdigit() and len(t) >= MIN_SUBSTRING_DIGITS]
    others = [t for t in terms if t not in numbers]
    if len(docs) >= limit or not numbers or not others:
        return docs
    rows = conn.execute(
        "SELECT w.rowid, d.digits FROM search_words AS w JOIN search_digits AS d ON d.rowid = w.rowid "
        "WHERE search_words MATCH ? LIMIT ?",
        (" AND ".join(f'"{t}"*' for t in others), MAX_CANDIDATES),
    )
    found = [int(doc) for doc, held in rows if all(n in str(held) for n in numbers)]
    return list(dict.fromkeys(docs + found))[:limit]


def _needed(terms: list[str]) -> list[str]:
    """The query's words without those another one implies, in order: a document with a word
    starting `ada` has one starting `a`, so `"a"* AND "ada"*` finds what `"ada"*` finds, and every
    AND operand costs FTS5 a doclist to walk (a 1-letter one is most of the index)."""
    unique = list(dict.fromkeys(terms))
    return [t for t in unique if not any(o != t and o.startswith(t) for o in unique)]


def search(conn: RawConnection, query: str, limit: int = 20) -> list[SearchHit]:
    """Customers matching what the user typed; any string is safe, at most `limit` hits."""
    cleaned = query.replace("\x00", " ")[:MAX_QUERY].strip()
    limit = max(1, min(limit, 200))
    if not cleaned:
        return []
    docs: list[int] = []
    number = digits(cleaned)
    if is_phone_like(cleaned) and len(number) >= MIN_SUBSTRING_DIGITS:
        docs = _digit_docs(conn, number, limit)
    else:
        terms = _needed(words(cleaned))[:MAX_QUERY_WORDS]
        if is_phone_like(cleaned) and number:
            terms = [number]
        if not terms:
            return []
        docs = _word_docs(conn, terms, limit)
    if not docs:
        return []
    rows = conn.execute(
        "SELECT c.id, c.display_name, c.organisation, c.account_number FROM search_key AS k "
        f"JOIN customer AS c ON c.id = k.customer_id WHERE k.doc IN ({','.join('?' * len(docs))})",
        docs,
    )
    hits = [
        SearchHit(str(i), name or "", organisation, account or "") for i, name, organisation, account in rows
    ]
    hits.sort(key=lambda h: (h.display_name.casefold(), h.customer_id))
    return hits


def directory_primed(conn: RawConnection) -> bool:
    """Whether every customer is in the cache (the `directory` scope finished priming): until then
    the search box asks the server too."""
    row = conn.execute("SELECT primed FROM sync_scope WHERE scope = ?", (DIRECTORY_SCOPE,)).fetchone()
    return bool(row and row[0])
