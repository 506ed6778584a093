"""A new customer: duplicate detection before saving, and the create itself (Qt-free).

Field reps create customers offline, so the check runs against the cache (SYNC.md §2: the server
only *flags* a possible duplicate afterwards, with a `possible_duplicate` conflict). A match is:
- the same phone: what was typed, in any format (`07400 123456`, `+44 7400-123456`, `0044…`),
  normalised to E.164 by `wire.phones.normalize_phone`, the server's own rule (national numbers in
  the territory's country), and looked up through the contact-point index;
- the same email: trimmed and lower-cased, as the server stores it;
- a similar name: a handful of bounded FTS searches (the whole name; every word cut to its first
  four letters, which survives a typo late in a word; each long word alone) give at most about 160
  candidates, scored with rapidfuzz. Never a scan of the customer table: a cache holds 1,000,000.

`create_customer` writes the customer and its contact points as `create` local edits in one store
transaction; the contact points depend on the customer's create, so a rejected customer takes them
with it.
"""

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Final

from rapidfuzz import fuzz
from sqlalchemy import Connection, select

from desktop.services.store.changed import Changed
from desktop.services.store.database import Writer
from desktop.services.store.driver import raw
from desktop.services.store.edits import edit_in, new_record_id
from desktop.services.store.errors import LocalEditError
from desktop.services.store.outbox import entries_for
from desktop.services.store.queries import customers_by_phone
from desktop.services.store.rows import Touched, read_row
from desktop.services.store.schema import MIRRORS
from desktop.services.store.search_index import reindex
from desktop.services.store.search_query import search
from desktop.services.store.text import words

#: a name scores at least this (rapidfuzz token sort ratio, 0 to 100) to count as similar
NAME_SCORE: Final = 85.0
#: candidates per name search, and how many name searches by single words at most
_WHOLE_LIMIT: Final = 50
_WORD_LIMIT: Final = 20
_MAX_WORD_SEARCHES: Final = 3
#: matches reported at most
MAX_MATCHES: Final = 10
#: languages offered for a new customer (ISO 639-1), those of the countries served first
LANGUAGES: Final[tuple[str, ...]] = ("en", "de", "fr", "es", "it", "nl", "pl", "pt", "sv", "da", "tr", "ar")
_EMAIL: Final = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_MAX_EMAIL: Final = 320
_contact_point = MIRRORS["contact_point"]
_territory = MIRRORS["territory"]


class NewCustomerError(LocalEditError):
    """The new customer was refused before anything was written (no name, a bad phone…)."""


def normalize_email(raw: str) -> str | None:
    """The email as the server stores it (trimmed, lower-case), or None when it is not one."""
    text = raw.strip().lower()
    if not text or len(text) > _MAX_EMAIL or not _EMAIL.match(text):
        return None
    return text


@dataclass(frozen=True)
class Territory:
    id: str
    name: str
    country: str


def territories(conn: Connection) -> list[Territory]:
    """The territories in the cache's reference data, by name."""
    rows = conn.execute(
        select(_territory.c.id, _territory.c.name, _territory.c.country)
        .order_by(_territory.c.name)
        .limit(500)
    )
    return [Territory(str(r.id), str(r.name or ""), str(r.country or "")) for r in rows]


@dataclass(frozen=True)
class DuplicateMatch:
    """An existing customer that may be the one being created, and why."""

    customer_id: str
    display_name: str
    organisation: str | None
    #: "phone", "email" and/or "name"
    reasons: tuple[str, ...]
    #: name similarity, 0 to 100 (100 for a phone or email match without a similar name)
    score: float


@dataclass
class _Found:
    display_name: str
    organisation: str | None
    reasons: set[str] = field(default_factory=set)
    score: float = 0.0


def _name_candidates(conn: Connection, name: str) -> dict[str, tuple[str, str | None]]:
    """Customers whose names may resemble `name`: bounded FTS searches, about 160 at most."""
    parts = list(dict.fromkeys(w for w in words(name) if len(w) >= 2))[:4]
    if not parts:
        return {}
    queries = [(" ".join(parts), _WHOLE_LIMIT)]
    if any(len(p) > 4 for p in parts):
        queries.append((" ".join(p[:4] for p in parts), _WHOLE_LIMIT))
    if len(parts) > 1:
        longest = sorted((p for p in parts if len(p) >= 3), key=len, reverse=True)[:_MAX_WORD_SEARCHES]
        queries += [(p, _WORD_LIMIT) for p in longest]
    found: dict[str, tuple[str, str | None]] = {}
    for query, limit in queries:
        for hit in search(raw(conn), query, limit):
            found[hit.customer_id] = (hit.display_name, hit.organisation)
    return found


def _customer_ids(conn: Connection, kind: str, value: str) -> list[str]:
    if kind == "phone":
        return [view.id for view in customers_by_phone(conn, value)][:MAX_MATCHES]
    rows = conn.execute(
        select(_contact_point.c.customer_id)
        .where(_contact_point.c.kind == kind, _contact_point.c.value == value)
        .distinct()
        .limit(MAX_MATCHES)
    ).scalars()
    return [str(r) for r in rows]


def find_duplicates(
    conn: Connection, name: str, *, phone: str | None = None, email: str | None = None
) -> list[DuplicateMatch]:
    """Cached customers that may be the same as a new one (`phone` in E.164, `email` normalised).

    Phone and email matches come first, then similar names by score; at most `MAX_MATCHES`.
    """
    found: dict[str, _Found] = {}
    for kind, value in (("phone", phone), ("email", email)):
        if not value:
            continue
        for customer_id in _customer_ids(conn, kind, value):
            row = read_row(conn, "customer", customer_id)
            if row is None:
                continue
            entry = found.setdefault(
                customer_id, _Found(str(row[1].get("display_name") or ""), row[1].get("organisation"))
            )
            entry.reasons.add(kind)
    target = " ".join(words(name))
    if target:
        for customer_id, (display_name, organisation) in _name_candidates(conn, name).items():
            score = float(fuzz.token_sort_ratio(target, " ".join(words(display_name))))
            if score >= NAME_SCORE:
                entry = found.setdefault(customer_id, _Found(display_name, organisation))
                entry.reasons.add("name")
                entry.score = score
    matches = [
        DuplicateMatch(
            customer_id=cid,
            display_name=f.display_name,
            organisation=f.organisation,
            reasons=tuple(r for r in ("phone", "email", "name") if r in f.reasons),
            score=f.score if "name" in f.reasons else 100.0,
        )
        for cid, f in found.items()
    ]
    matches.sort(key=lambda m: (-len(set(m.reasons) - {"name"}), -m.score, m.display_name.casefold()))
    return matches[:MAX_MATCHES]


@dataclass(frozen=True)
class NewCustomer:
    """What the new-customer dialog gathered (phone and email already normalised, or None)."""

    display_name: str
    territory_id: str
    organisation: str | None = None
    phone: str | None = None
    email: str | None = None
    language: str = "en"
    country: str = ""


def create_customer(writer: Writer, customer_id: str, new: NewCustomer) -> Changed:
    """Create the customer and its contact points: `create` local edits in one transaction."""
    name = new.display_name.replace("\x00", "").strip()
    if not name:
        raise NewCustomerError("The customer needs a name.")
    if not new.territory_id:
        raise NewCustomerError("Choose a territory for the customer.")
    organisation = (new.organisation or "").replace("\x00", "").strip() or None
    values = {
        "kind": "person",
        "display_name": name,
        "organisation": organisation,
        "territory_id": new.territory_id,
        "language": new.language,
        "country": new.country,
    }
    points = [("phone", new.phone), ("email", new.email)]
    touched = Touched()
    at = datetime.now(UTC).isoformat()
    with writer.transaction() as conn:
        edit_in(conn, "customer", customer_id, "create", values, None, touched, at=at)
        created = entries_for(conn, "customer", customer_id)[0].mutation_id
        for kind, value in points:
            if not value:
                continue
            point = {"customer_id": customer_id, "kind": kind, "value": value, "is_primary": True}
            edit_in(conn, "contact_point", new_record_id(), "create", point, created, touched, at=at)
        touched.customers.add(customer_id)
        reindex(conn, touched.customers)
    return touched.changed
