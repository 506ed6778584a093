"""The customer search index (FTS5) and the keystroke search over it.

One document per customer in two FTS5 tables sharing a rowid (`search_key.doc`):
- `search_words`: folded words of the names and organisation, emails (whole words and local part),
  handles, the account number (also without its punctuation), external keys, case numbers, and
  the first two digits of each phone form: a query's words are prefix-matched, all of them (AND).
  Its prefix index (`schema.WORD_PREFIXES`, 1-8 characters) answers a typed prefix from one
  doclist, read lazily; without it `"a"*` merged the doclists of every term starting with `a` (p95
  0.5 s on 1M customers);
- `search_digits` (trigram tokenizer): phone digits (E.164, and national with a trunk 0; the
  national digits end the E.164 ones) and the digits of account numbers, external keys and case
  numbers: a phone-like query of three digits or more is matched as a substring (over 15 digits:
  by its first 15, then checked whole). A trigram index cannot match fewer than 3 characters, so
  1-2 typed digits are a prefix of a digit word instead (`"20"*`: a phone's E.164, national or trunk
  form, an account or key number starting with them), from the prefix index.

Phones are not whole words (`text.phone_index_forms`): every 10-15 digit form was 9 entries of the
prefix index, nearly all unique terms, and half of the cost of building `search_words` while
priming. A number of 3+ digits typed among other words (`smith 7700`) is still found in a phone,
as a substring of the digits of what the other words find (`_word_docs`, bounded). Documents built
before (with whole phone forms as words) answer every query the same, so they are not rebuilt: a
customer's document takes the new form the next time it changes.

Every query shape is bounded: at most 8 words (fewer when one implies another), each one lazily
read doclist of the prefix index (or a merge of the few terms longer than 8 characters that start
with it), at most a 15-digit trigram phrase, LIMIT `limit` (at most 200), and at most
`MAX_CANDIDATES` documents checked in Python.

Snapshot pages do not rebuild documents: a customer's document depends on its contact points,
external refs and cases, which a snapshot sends pages later (entity by entity), so rebuilding on
every page made each document about three times. Instead `mark_dirty` lists the customers a
snapshot page touched in `search_dirty`, in the page's own transaction (a crash keeps the list with
the rows it describes), and `reindex_dirty` rebuilds them once, in bounded transactions, when the
scope's snapshot completes. Until then a customer that only this snapshot brought is not found by
search (phone lookups and the customer screen read the mirrors and are not affected); a customer
already indexed keeps its old document until the rebuild. Log pages and local edits rebuild at once.

A query is cut into our own [0-9a-z] words before it reaches FTS5 and every word is quoted, so FTS
syntax in user input (`"`, `*`, `-`, `NEAR(`, `AND`) is only ever text. Results are not ranked by
FTS (no ORDER BY rank on keystrokes): the first `limit` matches are sorted by name.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from sqlalchemy import Connection, select, text

from desktop.services.store.driver import json_rows, run, run_many
from desktop.services.store.rows import chunked, marks
from desktop.services.store.schema import MIRRORS, search_key
from desktop.services.store.text import MAX_QUERY, digits, is_phone_like, phone_index_forms, words

MAX_QUERY_WORDS: Final = 8
MIN_SUBSTRING_DIGITS: Final = 3
#: a trigram phrase costs FTS5 a doclist walk per trigram: longer numbers are matched by their first
#: `MAX_PHRASE_DIGITS` digits (a phone has at most 15), and the candidates are kept if they hold the
#: whole number, up to `MAX_CANDIDATES` of them (200 typed digits were 0.3 s as one phrase)
MAX_PHRASE_DIGITS: Final = 15
MAX_CANDIDATES: Final = 200
_customer = MIRRORS["customer"]


@dataclass(frozen=True)
class SearchHit:
    customer_id: str
    display_name: str
    organisation: str | None
    account_number: str


@dataclass
class _Sources:
    """What one customer's search document is made of (its row and its children's values)."""

    names: tuple[Any, ...]
    account_number: str | None
    points: list[tuple[str, str | None]] = field(default_factory=list)
    keys: list[str | None] = field(default_factory=list)
    numbers: list[str | None] = field(default_factory=list)


def _document(sources: _Sources) -> tuple[str, str]:
    """(words text, digits text) of one customer: the first occurrence of each word, in order."""
    word_set: list[str] = []
    for value in sources.names:
        if value:
            word_set += words(value)
    digit_set: list[str] = []
    for kind, value in sources.points:
        if not value:
            continue
        if kind == "phone":
            heads, numbers = phone_index_forms(value)
            word_set += heads
            digit_set += numbers
        else:
            word_set += words(value)
            word_set.append("".join(words(value.partition("@")[0])))
    for source in (sources.account_number, *sources.keys, *sources.numbers):
        if not source:
            continue
        parts = words(source)
        word_set += parts
        word_set.append("".join(parts))
        number = digits(source)
        if number:
            digit_set.append(number)
    unique = dict.fromkeys(word_set)
    unique.pop("", None)
    return " ".join(unique), " ".join(dict.fromkeys(digit_set))


def _rows(conn: Connection, sql: str, ids: Sequence[str]) -> Any:
    return run(conn, sql.format(marks=marks(len(ids))), tuple(ids))


def _sources(conn: Connection, ids: Sequence[str]) -> dict[str, _Sources]:
    """The document sources of the customers among `ids` that exist (children in rowid order)."""
    found = {
        str(r[0]): _Sources(names=tuple(r[1:5]), account_number=r[5])
        for r in _rows(
            conn,
            "SELECT id, display_name, given_name, family_name, organisation, account_number "
            "FROM customer WHERE id IN ({marks})",
            ids,
        )
    }
    for customer_id, kind, value in _rows(
        conn,
        "SELECT customer_id, kind, value FROM contact_point WHERE customer_id IN ({marks}) "
        "ORDER BY customer_id, rowid",
        ids,
    ):
        if customer_id in found:
            found[customer_id].points.append((kind, value))
    for customer_id, key in _rows(
        conn,
        "SELECT customer_id, key FROM external_ref WHERE customer_id IN ({marks}) ORDER BY customer_id, rowid",
        ids,
    ):
        if customer_id in found:
            found[customer_id].keys.append(key)
    for customer_id, number in _rows(
        conn,
        'SELECT customer_id, number FROM "case" WHERE customer_id IN ({marks}) ORDER BY customer_id, rowid',
        ids,
    ):
        if customer_id in found:
            found[customer_id].numbers.append(number)
    return found


def _write_fts(
    conn: Connection, table: str, column: str, wanted: dict[int, str], dropped: list[int], fresh: set[int]
) -> None:
    """Make the FTS table hold `wanted` (doc → text) and not `dropped`; a document whose text is
    already right is left alone (an FTS rewrite re-tokenizes the old text and the new). `fresh`:
    docs numbered in this transaction, which hold nothing yet (not looked up)."""
    docs = [*(d for d in wanted if d not in fresh), *dropped]
    current: dict[int, str] = {}
    for part in chunked(docs):
        sql = f"SELECT rowid, {column} FROM {table} WHERE rowid IN ({marks(len(part))})"
        current.update((int(d), str(t)) for d, t in run(conn, sql, tuple(part)))
    stale = [(d,) for d in dropped if d in current]
    stale += [(d,) for d, t in wanted.items() if d in current and current[d] != t]
    run_many(conn, f"DELETE FROM {table} WHERE rowid = ?", stale)
    run(
        conn,
        f"INSERT INTO {table} (rowid, {column}) SELECT value ->> 0, value ->> 1 FROM json_each(?)",
        (json_rows((d, t) for d, t in wanted.items() if current.get(d) != t),),
    )


def _number(conn: Connection, new: list[str]) -> dict[str, int]:
    """Give customers without a document the next doc numbers, in id order, as `AUTOINCREMENT`
    would one by one (past the largest ever given: `sqlite_sequence` follows the largest inserted),
    without reading them back."""
    last = run(
        conn,
        "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'search_key'), 0), "
        "coalesce((SELECT max(doc) FROM search_key), 0))",
    ).fetchone()[0]
    numbered = {customer_id: int(last) + 1 + i for i, customer_id in enumerate(new)}
    run(
        conn,
        "INSERT INTO search_key (doc, customer_id) SELECT value ->> 0, value ->> 1 FROM json_each(?)",
        (json_rows((d, c) for c, d in numbered.items()),),
    )
    return numbered


def _reindex_chunk(conn: Connection, ids: Sequence[str]) -> None:
    docs = {
        str(c): int(d)
        for c, d in _rows(conn, "SELECT customer_id, doc FROM search_key WHERE customer_id IN ({marks})", ids)
    }
    sources = _sources(conn, ids)
    dropped = [docs[i] for i in ids if i in docs and i not in sources]
    run_many(conn, "DELETE FROM search_key WHERE doc = ?", [(d,) for d in dropped])
    fresh = _number(conn, [i for i in ids if i in sources and i not in docs])
    docs.update(fresh)
    documents = {docs[i]: _document(sources[i]) for i in ids if i in sources}
    numbers = set(fresh.values())
    _write_fts(conn, "search_words", "terms", {d: w for d, (w, _) in documents.items()}, dropped, numbers)
    _write_fts(conn, "search_digits", "digits", {d: g for d, (_, g) in documents.items()}, dropped, numbers)


def reindex(conn: Connection, customer_ids: set[str]) -> None:
    """Rebuild the search documents of these customers (dropping those of deleted customers).

    A few statements per 500 customers (`IN` lists and `executemany`), not several per customer:
    a snapshot page re-indexes hundreds of them."""
    for ids in chunked(sorted(customer_ids)):
        _reindex_chunk(conn, ids)


def mark_dirty(conn: Connection, customer_ids: set[str]) -> None:
    """Note customers whose documents must be rebuilt (`reindex_dirty`), in the caller's transaction."""
    if customer_ids:
        run(
            conn,
            "INSERT OR IGNORE INTO search_dirty (customer_id) SELECT value FROM json_each(?)",
            (json_rows(sorted(customer_ids)),),
        )


def reindex_dirty(conn: Connection, limit: int) -> int:
    """Rebuild the documents of up to `limit` listed customers and unlist them; returns how many."""
    ids = [str(r[0]) for r in run(conn, "SELECT customer_id FROM search_dirty LIMIT ?", (limit,))]
    if not ids:
        return 0
    reindex(conn, set(ids))
    run(
        conn,
        "DELETE FROM search_dirty WHERE customer_id IN (SELECT value FROM json_each(?))",
        (json_rows(ids),),
    )
    return len(ids)


def dirty_count(conn: Connection) -> int:
    """How many customers' documents wait for `reindex_dirty` (0 once every snapshot's are rebuilt)."""
    return int(run(conn, "SELECT count(*) FROM search_dirty").fetchone()[0])


def _match_docs(conn: Connection, table: str, expression: str, limit: int) -> list[int]:
    rows = conn.execute(
        text(f"SELECT rowid FROM {table} WHERE {table} MATCH :m LIMIT :limit"),
        {"m": expression, "limit": limit},
    )
    return [int(r) for r in rows.scalars()]


def _digit_docs(conn: Connection, number: str, limit: int) -> list[int]:
    """Documents whose digits hold `number` (3 digits or more) as a substring, at most `limit`."""
    if len(number) <= MAX_PHRASE_DIGITS:
        return _match_docs(conn, "search_digits", f'"{number}"', limit)
    rows = conn.execute(
        text("SELECT rowid, digits FROM search_digits WHERE search_digits MATCH :m LIMIT :limit"),
        {"m": f'"{number[:MAX_PHRASE_DIGITS]}"', "limit": MAX_CANDIDATES},
    )
    return [int(doc) for doc, held in rows if number in str(held)][:limit]


def _word_docs(conn: Connection, terms: list[str], limit: int) -> list[int]:
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
        text(
            "SELECT w.rowid, d.digits FROM search_words AS w JOIN search_digits AS d ON d.rowid = w.rowid "
            "WHERE search_words MATCH :m LIMIT :limit"
        ),
        {"m": " AND ".join(f'"{t}"*' for t in others), "limit": MAX_CANDIDATES},
    )
    found = [int(doc) for doc, held in rows if all(n in str(held) for n in numbers)]
    return list(dict.fromkeys(docs + found))[:limit]


def _needed(terms: list[str]) -> list[str]:
    """The query's words without those another one implies, in order: a document with a word
    starting `ada` has one starting `a`, so `"a"* AND "ada"*` finds what `"ada"*` finds, and every
    AND operand costs FTS5 a doclist to walk (a 1-letter one is most of the index)."""
    unique = list(dict.fromkeys(terms))
    return [t for t in unique if not any(o != t and o.startswith(t) for o in unique)]


def search(conn: Connection, query: str, limit: int = 20) -> list[SearchHit]:
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
    c = _customer
    rows = conn.execute(
        select(c.c.id, c.c.display_name, c.c.organisation, c.c.account_number)
        .join(search_key, search_key.c.customer_id == c.c.id)
        .where(search_key.c.doc.in_(docs))
    )
    hits = [SearchHit(str(r.id), r.display_name or "", r.organisation, r.account_number or "") for r in rows]
    hits.sort(key=lambda h: (h.display_name.casefold(), h.customer_id))
    return hits
