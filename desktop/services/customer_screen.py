"""Read queries behind the customer screen and the search box (Qt-free, any read connection).

Every function is a bounded, indexed read meant to run on the GUI thread through `Cache.read()`,
except `timeline_index`, which reads the ids of a customer's whole (filtered) timeline in one SQL
statement: for 100,000 interactions that is one ordered scan of the customer's rows, done by SQLite,
never a Python sort or filter. The rows themselves are fetched a page at a time (`timeline_rows`)
for what the view shows.

Also here: how a phone is shown (formatted for reading with `phonenumbers`, partly masked until
revealed) and the local audit record of a reveal. The protocol has no endpoint that accepts an
audit event from a client (the server audits its own lookups and detail reads, PROTOCOL.md §9), so
a reveal is written to the `liaison.audit` log with the user, the time and the contact point id —
never the value itself.
"""

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import Connection

from desktop.domain import OPEN_CASE_STATUSES, CaseNote, ContactPoint, Interaction
from desktop.services.store.driver import run
from desktop.services.store.rows import read_row

audit_log: Final = logging.getLogger("liaison.audit")

_LIKE_ESCAPE: Final = str.maketrans({"\\": "\\\\", "%": "\\%", "_": "\\_"})
_TEXT_COLUMNS: Final = ("summary", "agent_name", "partner", "outcome")
_INTERACTION_COLUMNS: Final = (
    "id, version, customer_id, channel, direction, occurred_at, summary, agent_id, agent_name, "
    "partner, outcome, case_id, duration_s, queue_id"
)


@dataclass(frozen=True, slots=True)
class Profile:
    """The profile card's facts about one customer."""

    id: str
    version: int
    display_name: str
    kind: str
    organisation: str | None
    segment: str
    tier: str
    lifetime_value: float
    language: str
    country: str
    region: str
    postcode: str | None
    account_number: str
    consent_marketing: bool
    consent_contact: bool
    do_not_contact: bool


@dataclass(frozen=True, slots=True)
class Identity:
    """The customer as another system knows them (web shop, field service, a partner portal…)."""

    id: str
    system: str
    key: str
    display_name: str | None


@dataclass(frozen=True, slots=True)
class TimelineFilter:
    """Which interactions the timeline shows: `channels` None means all; `text` matches a substring
    of the summary, rep, partner or outcome (case-insensitive for ASCII)."""

    channels: frozenset[str] | None = None
    text: str = ""


@dataclass(frozen=True, slots=True)
class TimelineIndex:
    """The filtered timeline as ids, newest first, and its days: (local ISO date, count) newest first.

    The days partition `ids` in order: the first `days[0][1]` ids fall on `days[0][0]`, and so on.
    """

    ids: list[str]
    days: list[tuple[str, int]]


@dataclass(frozen=True, slots=True)
class CaseSummary:
    id: str
    version: int
    number: str
    subject: str
    description: str
    status: str
    priority: str
    sla_due_at: str | None
    origin_channel: str
    opened_at: str | None
    owner_id: str | None


def profile(conn: Connection, customer_id: str) -> Profile | None:
    found = read_row(conn, "customer", customer_id)
    if found is None:
        return None
    version, v = found
    return Profile(
        id=customer_id,
        version=version,
        display_name=str(v.get("display_name") or ""),
        kind=str(v.get("kind") or "person"),
        organisation=v.get("organisation"),
        segment=str(v.get("segment") or ""),
        tier=str(v.get("tier") or ""),
        lifetime_value=float(v.get("lifetime_value") or 0.0),
        language=str(v.get("language") or ""),
        country=str(v.get("country") or ""),
        region=str(v.get("region") or ""),
        postcode=v.get("postcode"),
        account_number=str(v.get("account_number") or ""),
        consent_marketing=bool(v.get("consent_marketing")),
        consent_contact=bool(v.get("consent_contact", True)),
        do_not_contact=bool(v.get("do_not_contact")),
    )


def identities(conn: Connection, customer_id: str) -> list[Identity]:
    """Every external reference of the customer, by system then key."""
    rows = run(
        conn,
        "SELECT id, system, key, display_name FROM external_ref WHERE customer_id = ? ORDER BY system, key",
        (customer_id,),
    ).fetchall()
    return [Identity(str(r[0]), str(r[1]), str(r[2]), r[3]) for r in rows]


def contact_points(conn: Connection, customer_id: str) -> list[ContactPoint]:
    """Phones, then emails, then handles; primary first within a kind; none for a customer the cache
    does not hold. One indexed statement (`ix_contact_point_customer_id`): it runs on every pop."""
    rows = run(
        conn,
        "SELECT id, version, kind, value, label, verified, is_primary FROM contact_point "
        "WHERE customer_id = ? AND EXISTS (SELECT 1 FROM customer WHERE id = ?)",
        (customer_id, customer_id),
    ).fetchall()
    order = {"phone": 0, "email": 1, "handle": 2}
    points = [
        ContactPoint(
            id=str(r[0]),
            version=int(r[1]),
            customer_id=customer_id,
            kind=r[2],
            value=str(r[3] or ""),
            label=r[4],
            verified=bool(r[5]),
            is_primary=bool(r[6]),
        )
        for r in sorted(rows, key=lambda r: str(r[0]))
    ]
    points.sort(key=lambda p: (order.get(p.kind, 3), not p.is_primary, p.value))
    return points


def _timeline_where(customer_id: str, flt: TimelineFilter) -> tuple[str, list[Any]] | None:
    clauses = ["customer_id = ?"]
    params: list[Any] = [customer_id]
    if flt.channels is not None:
        if not flt.channels:
            return None
        channels = sorted(flt.channels)
        clauses.append(f"channel IN ({', '.join('?' for _ in channels)})")
        params += channels
    needle = flt.text.replace("\x00", " ").strip()[:200]
    if needle:
        pattern = f"%{needle.translate(_LIKE_ESCAPE)}%"
        clauses.append("(" + " OR ".join(f"{c} LIKE ? ESCAPE '\\'" for c in _TEXT_COLUMNS) + ")")
        params += [pattern] * len(_TEXT_COLUMNS)
    return " AND ".join(clauses), params


def timeline_index(conn: Connection, customer_id: str, flt: TimelineFilter) -> TimelineIndex:
    """Ids of the customer's interactions that pass the filter, newest first, with their days.

    Newest first is `occurred_at` descending (timestamps are UTC ISO text, so text order is time
    order), ties by id. Days are the agent's local dates. Call inside one read transaction so that
    the ids and the day counts agree.
    """
    where = _timeline_where(customer_id, flt)
    if where is None:
        return TimelineIndex([], [])
    sql, params = where
    ids = [
        r[0]
        for r in run(
            conn, f"SELECT id FROM interaction WHERE {sql} ORDER BY occurred_at DESC, id DESC", tuple(params)
        ).fetchall()
    ]
    days = run(
        conn,
        f"SELECT date(occurred_at, 'localtime') AS day, count(*) FROM interaction WHERE {sql} "
        "GROUP BY day ORDER BY max(occurred_at) DESC",
        tuple(params),
    ).fetchall()
    return TimelineIndex(ids, [(str(d or ""), int(n)) for d, n in days])


def channel_counts(conn: Connection, customer_id: str) -> dict[str, int]:
    """How many interactions the customer has per channel (for the filter chips)."""
    rows = run(
        conn,
        "SELECT channel, count(*) FROM interaction WHERE customer_id = ? GROUP BY channel",
        (customer_id,),
    ).fetchall()
    return {str(channel): int(count) for channel, count in rows}


def timeline_rows(conn: Connection, ids: Sequence[str]) -> dict[str, Interaction]:
    """The interactions with these ids (one statement; ids no longer in the cache are left out)."""
    if not ids:
        return {}
    marks = ", ".join("?" for _ in ids)
    rows = run(conn, f"SELECT {_INTERACTION_COLUMNS} FROM interaction WHERE id IN ({marks})", tuple(ids))
    found: dict[str, Interaction] = {}
    for r in rows.fetchall():
        found[str(r[0])] = Interaction(
            id=str(r[0]),
            version=int(r[1]),
            customer_id=str(r[2]),
            channel=r[3],
            direction=r[4] or "none",
            occurred_at=str(r[5] or ""),
            summary=str(r[6] or ""),
            agent_id=r[7],
            agent_name=r[8],
            partner=r[9],
            outcome=r[10],
            case_id=r[11],
            duration_s=r[12],
            queue_id=r[13],
        )
    return found


def _case_summary(case_id: str, version: int, v: dict[str, Any]) -> CaseSummary:
    return CaseSummary(
        id=case_id,
        version=version,
        number=str(v.get("number") or ""),
        subject=str(v.get("subject") or ""),
        description=str(v.get("description") or ""),
        status=str(v.get("status") or "new"),
        priority=str(v.get("priority") or "normal"),
        sla_due_at=v.get("sla_due_at"),
        origin_channel=str(v.get("origin_channel") or "phone"),
        opened_at=v.get("opened_at"),
        owner_id=v.get("owner_id"),
    )


def open_cases(conn: Connection, customer_id: str) -> list[CaseSummary]:
    """The customer's open cases, soonest SLA first (cases without an SLA last), then by number."""
    statuses = sorted(OPEN_CASE_STATUSES)
    rows = run(
        conn,
        f'SELECT id FROM "case" WHERE customer_id = ? AND status IN ({", ".join("?" for _ in statuses)}) '
        "ORDER BY sla_due_at IS NULL, sla_due_at, number",
        (customer_id, *statuses),
    ).fetchall()
    cases = []
    for (case_id,) in rows:
        found = read_row(conn, "case", str(case_id))
        if found is not None:
            cases.append(_case_summary(str(case_id), found[0], found[1]))
    return cases


def case(conn: Connection, case_id: str) -> CaseSummary | None:
    found = read_row(conn, "case", case_id)
    return None if found is None else _case_summary(case_id, found[0], found[1])


def case_notes(conn: Connection, case_id: str) -> list[CaseNote]:
    """A case's notes, oldest first (the order they were appended)."""
    rows = run(
        conn,
        "SELECT id, version, case_id, body, author_id, author_name, visibility, created_at "
        "FROM case_note WHERE case_id = ? ORDER BY created_at, id",
        (case_id,),
    ).fetchall()
    return [
        CaseNote(
            id=str(r[0]),
            version=int(r[1]),
            case_id=str(r[2]),
            body=str(r[3] or ""),
            author_id=r[4],
            author_name=str(r[5] or ""),
            visibility=r[6] or "internal",
            created_at=str(r[7] or ""),
        )
        for r in rows
    ]


def owned_by(
    conn: Connection, entity: str, ids: Iterable[str], owner_id: str, *, column: str = "customer_id"
) -> set[str]:
    """Which of these rows of `entity` belong to the owner now (`column`: the owner's id column)."""
    wanted = sorted(set(ids))
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        marks = ", ".join("?" for _ in chunk)
        rows = run(
            conn,
            f'SELECT id FROM "{entity}" WHERE "{column}" = ? AND id IN ({marks})',
            (owner_id, *chunk),
        ).fetchall()
        found.update(str(r[0]) for r in rows)
    return found


def readable_phone(e164: str, region: str | None = None) -> str:
    """A phone for reading: national format for the customer's own country, international otherwise;
    the stored text unchanged when it does not parse."""
    import phonenumbers  # imported at first use (desktop/preload.py warms it after start-up)

    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    if region and phonenumbers.region_code_for_country_code(number.country_code or 0) == region.upper():
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def masked(text: str, visible: int = 3) -> str:
    """`text` with every digit but the last `visible` replaced by •, punctuation kept."""
    total = sum(c.isdigit() for c in text)
    seen = 0
    out = []
    for c in text:
        if c.isdigit():
            seen += 1
            out.append(c if seen > total - visible else "•")
        else:
            out.append(c)
    return "".join(out)


def masked_email(email: str) -> str:
    """`a•••••@example.com`: the first letter of the local part and the domain."""
    local, at, domain = email.partition("@")
    if not at:
        return masked(email)
    return (local[:1] + "•" * max(len(local) - 1, 3)) + "@" + domain


def record_reveal(user: str, customer_id: str, contact_point_id: str, kind: str) -> str:
    """Audit that `user` revealed a contact point; returns the UTC time recorded."""
    at = datetime.now(UTC).isoformat()
    audit_log.info(
        "reveal contact_point user=%s customer=%s contact_point=%s kind=%s at=%s",
        user,
        customer_id,
        contact_point_id,
        kind,
        at,
    )
    return at
