"""Screen pop: from a caller's phone number to the customer (or customers) to show the agent.

Qt-free. `resolve(cache, phone)` is the whole decision, in the order issue 5 asks for:

1. the number is normalised to E.164 (`wire.phones.normalize_phone`, the server's own rule; the
   phone system's own E.164 form, when it gave one, is trusted first);
2. the cache: customers with a phone contact point equal to that number (one indexed query on
   `ix_contact_point_kind_value`, `store.customers_by_phone`) — fast enough for the GUI thread;
3. only when the cache holds nobody, and a `lookup` is given (`ApiClient.lookup_phone`, so the
   caller runs this call on a network worker): the server's exact lookup;
4. several matches are ranked by open cases, then by the recency of the last interaction (the
   agent's chooser shows them in that order, never a generic search page); none means an unknown
   caller: "new customer" with the number filled in.

A failed server lookup is not an error for the agent: the result is "unknown" with
`lookup_error` saying why, so the caller still offers "new customer" and can say the server
could not be asked.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final, Literal

from sqlalchemy import Connection

from desktop.domain import OPEN_CASE_STATUSES
from desktop.services.api_errors import ApiError
from desktop.services.store import Cache, customers_by_phone
from desktop.services.store.driver import run
from wire.lookups import LookupResponse
from wire.phones import normalize_phone

PopKind = Literal["single", "choose", "unknown"]
PopSource = Literal["cache", "server", "none"]
Lookup = Callable[[str], LookupResponse]

#: sorts before every real timestamp (no interaction yet)
_NEVER: Final = datetime.min.replace(tzinfo=UTC)
#: most candidates a chooser shows (a number shared by more customers than this is a switchboard)
MAX_CANDIDATES: Final = 50


@dataclass(frozen=True, slots=True)
class PopCandidate:
    """One customer the number belongs to, with what the ranking (and the chooser) shows."""

    customer_id: str
    display_name: str
    organisation: str | None
    account_number: str
    open_cases: int
    #: ISO 8601 time of the customer's last interaction; None when there is none
    last_interaction_at: str | None


@dataclass(frozen=True, slots=True)
class PopResult:
    """What a pop found for a number."""

    #: the number as the phone system (or the command line) gave it
    phone: str
    #: its E.164 form; None when it is not a valid number (withheld, garbage)
    e164: str | None
    #: ranked best first: most open cases, then the latest interaction
    candidates: tuple[PopCandidate, ...]
    source: PopSource
    #: the server was asked (or there was nothing worth asking: an invalid number)
    server_checked: bool
    #: why the server lookup failed, when it did (the pop then offers "new customer")
    lookup_error: str | None = None

    @property
    def kind(self) -> PopKind:
        if not self.candidates:
            return "unknown"
        return "single" if len(self.candidates) == 1 else "choose"

    @property
    def needs_server(self) -> bool:
        """Nothing in the cache for a valid number, and the server not asked yet."""
        return (
            not self.candidates
            and self.e164 is not None
            and not self.server_checked
            and self.lookup_error is None
        )


def normalise(phone: str, *, e164: str | None = None, region: str | None = None) -> str | None:
    """The E.164 form to look for: the phone system's own, if valid, else the number as given."""
    if e164 is not None:
        trusted = normalize_phone(e164, None)
        if trusted is not None:
            return trusted
    return normalize_phone(phone, region)


def needs_region(phone: str, *, e164: str | None = None) -> bool:
    """Whether `normalise` reads `phone` in a region: not when the phone system's E.164 form is
    valid or the number starts with `+` (a caller may then skip working the region out)."""
    return (e164 is None or normalize_phone(e164, None) is None) and not phone.strip().startswith("+")


def _when(value: str | None) -> datetime:
    if not value:
        return _NEVER
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return _NEVER
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def rank(candidates: Sequence[PopCandidate]) -> tuple[PopCandidate, ...]:
    """Most open cases first, then the most recent interaction, then by name and id (stable)."""
    ordered = sorted(
        candidates,
        key=lambda c: (
            -c.open_cases,
            -_when(c.last_interaction_at).timestamp(),
            c.display_name,
            c.customer_id,
        ),
    )
    return tuple(ordered[:MAX_CANDIDATES])


_OPEN_STATUSES: Final = tuple(sorted(OPEN_CASE_STATUSES))
#: a candidate's open cases and latest interaction in one statement on the driver connection (the
#: same query built with SQLAlchemy's `select()` cost ~1.5 ms a candidate to build and compile)
_CANDIDATE_FACTS: Final = (
    'SELECT (SELECT count(*) FROM "case" WHERE customer_id = ? AND status IN '
    f"({', '.join('?' for _ in _OPEN_STATUSES)})), "
    "(SELECT max(occurred_at) FROM interaction WHERE customer_id = ?)"
)


def _cached_candidates(conn: Connection, e164: str) -> list[PopCandidate]:
    found: list[PopCandidate] = []
    for row in customers_by_phone(conn, e164)[: MAX_CANDIDATES * 2]:
        open_cases, last = run(conn, _CANDIDATE_FACTS, (row.id, *_OPEN_STATUSES, row.id)).fetchone()
        values = row.values
        found.append(
            PopCandidate(
                customer_id=row.id,
                display_name=str(values.get("display_name") or ""),
                organisation=values.get("organisation"),
                account_number=str(values.get("account_number") or ""),
                open_cases=int(open_cases or 0),
                last_interaction_at=str(last) if last else None,
            )
        )
    return found


def _server_candidates(answer: LookupResponse) -> list[PopCandidate]:
    return [
        PopCandidate(
            customer_id=m.id,
            display_name=m.display_name,
            organisation=m.organisation,
            account_number=m.account_number,
            open_cases=m.open_cases,
            last_interaction_at=m.last_interaction_at,
        )
        for m in answer.matches
    ]


def resolve(
    cache: Cache,
    phone: str,
    *,
    e164: str | None = None,
    region: str | None = None,
    lookup: Lookup | None = None,
) -> PopResult:
    """The customers `phone` belongs to: the cache first, the server (`lookup`) only when the cache
    holds nobody. Without `lookup` it never touches the network (safe on the GUI thread)."""
    number = normalise(phone, e164=e164, region=region)
    if number is None:
        return PopResult(phone, None, (), "none", server_checked=True)
    with cache.read() as conn:
        cached = _cached_candidates(conn, number)
    if cached:
        return PopResult(phone, number, rank(cached), "cache", server_checked=False)
    if lookup is None:
        return PopResult(phone, number, (), "none", server_checked=False)
    try:
        answer = lookup(number)
    except ApiError as exc:
        return PopResult(phone, number, (), "none", server_checked=False, lookup_error=exc.message)
    found = _server_candidates(answer)
    return PopResult(phone, number, rank(found), "server" if found else "none", server_checked=True)
