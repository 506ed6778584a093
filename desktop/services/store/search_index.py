"""The customer search index (FTS5): one document per customer, kept as its rows change.

One document per customer in two FTS5 tables sharing a rowid (`search_key.doc`); `search_query`
reads them on keystrokes:
- `search_words`: folded words of the names and organisation, emails (whole words and local part),
  handles, the account number (also without its punctuation), external keys, case numbers, and
  the first two digits of each phone form. Its prefix index (`schema.WORD_PREFIXES`, 1-8
  characters) answers a typed prefix from one doclist, read lazily; without it `"a"*` merged the
  doclists of every term starting with `a` (p95 0.5 s on 1M customers);
- `search_digits` (trigram tokenizer): phone digits (E.164, and national with a trunk 0; the
  national digits end the E.164 ones) and the digits of account numbers, external keys and case
  numbers, matched as substrings.

Phones are not whole words (`text.phone_index_forms`): every 10-15 digit form was 9 entries of the
prefix index, nearly all unique terms, and half of the cost of building `search_words` while
priming. Documents built before (with whole phone forms as words) answer every query the same, so
they are not rebuilt: a customer's document takes the new form the next time it changes.

Snapshot pages do not rebuild documents: a customer's document depends on its contact points,
external refs and cases, which a snapshot sends pages later (entity by entity), so rebuilding on
every page made each document about three times. Instead `mark_dirty` lists the customers a
snapshot page touched in `search_dirty`, in the page's own transaction (a crash keeps the list with
the rows it describes), and `reindex_dirty` rebuilds them once, in bounded transactions, when the
scope's snapshot completes. Until then a customer that only this snapshot brought is not found by
search (phone lookups and the customer screen read the mirrors and are not affected); a customer
already indexed keeps its old document until the rebuild. Log pages and local edits rebuild at once.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from desktop.services.store.driver import json_rows, run, run_many
from desktop.services.store.rows import chunked, marks
from desktop.services.store.text import digits, phone_index_forms, words


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
