"""Online lookups for what the desktop's cache does not hold (PROTOCOL.md, Lookups).

- `GET /api/v1/customers/lookup?phone=…|email=…`: screen pop by an exact contact point; the phone
  is normalised to E.164 here too (the configured default region reads national numbers).
- `GET /api/v1/customers/search?q=…&limit=…`: prefix search through `customer_term`; every query
  term must prefix-match some term of the customer.
- `GET /api/v1/customers/{id}`: one customer with its history; opens the on-demand scope
  `customer:<id>` (SYNC.md section 1) for the calling client.

Every path is authorized: a user without a directory role (a field rep) sees only the customers of
their own territories, and another territory's customer is "not found" rather than "forbidden" so
that its existence does not leak. Opening a customer (lookup, detail) is audited.
"""

from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Annotated, Any, Final

import msgspec
from fastapi import APIRouter, Header, Path, Query
from sqlalchemy import Connection, Select, and_, exists, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.elements import ColumnElement

from server.api.deps import CurrentUser, State
from server.api.errors import ApiError
from server.auth.principal import Principal
from server.db import tables as t
from server.db.types import iso, utcnow
from server.search_terms import query_terms
from server.sync.scopes import ON_DEMAND_TTL_HOURS, OPEN_CASE_STATUSES, Scope, may_subscribe
from wire.errors import ErrorResponse
from wire.lookups import CustomerDetail, CustomerSummary, LookupResponse, SearchResponse
from wire.phones import normalize_phone
from wire.records import ENTITIES

router = APIRouter()

#: at most this many customers share one phone number or email in a lookup answer
MAX_LOOKUP_MATCHES: Final = 50
#: the driving (longest) search term reads at most this many index entries: search stays bounded
#: however short the prefix; a broader query should be narrowed by typing more
SEARCH_CANDIDATES: Final = 2000
#: terms beyond this many are ignored (each one is an index probe per candidate)
MAX_QUERY_TERMS: Final = 8
RECENT_INTERACTIONS: Final = 50
MAX_PHONE_LENGTH: Final = 64
MAX_EMAIL_LENGTH: Final = 320
MAX_CLIENT_ID_LENGTH: Final = 64
MAX_CUSTOMER_ID_LENGTH: Final = 64

_ERR: Final[dict[int | str, dict[str, Any]]] = {code: {"model": ErrorResponse} for code in (400, 401, 422)}
_ERR_DETAIL: Final[dict[int | str, dict[str, Any]]] = {
    code: {"model": ErrorResponse} for code in (401, 404, 422)
}


# ---- authorization and audit ------------------------------------------------------------------


def _visible(user: Principal) -> ColumnElement[bool] | None:
    """The customers the user may see (None: every customer)."""
    if user.sees_directory:
        return None
    return t.customer.c.territory_id.in_(user.territory_ids)


def _audit(
    conn: Connection, user: Principal, client_id: str | None, customer_ids: Iterable[str], via: str
) -> None:
    now = iso(utcnow())
    rows = [
        {
            "at": now,
            "user_id": user.id,
            "client_id": client_id,
            "address": user.address or None,
            "action": "read",
            "entity": "customer",
            "entity_id": customer_id,
            "detail": {"via": via},
        }
        for customer_id in customer_ids
    ]
    if rows:
        conn.execute(insert(t.audit_log), rows)


# ---- customer summaries -----------------------------------------------------------------------


def _summary_select() -> Select[Any]:
    """Live customers with their open-case count and last interaction time."""
    cust, case, inter = t.customer, t.support_case, t.interaction
    open_cases = (
        select(func.count())
        .where(
            case.c.customer_id == cust.c.id,
            case.c.status.in_(OPEN_CASE_STATUSES),
            case.c.deleted_at.is_(None),
        )
        .scalar_subquery()
    )
    last_interaction = (
        select(func.max(inter.c.occurred_at))
        .where(inter.c.customer_id == cust.c.id, inter.c.deleted_at.is_(None))
        .scalar_subquery()
    )
    return select(
        cust.c.id,
        cust.c.version,
        cust.c.display_name,
        cust.c.organisation,
        cust.c.account_number,
        cust.c.territory_id,
        cust.c.segment,
        cust.c.tier,
        cust.c.do_not_contact,
        open_cases.label("open_cases"),
        last_interaction.label("last_interaction_at"),
    ).where(cust.c.deleted_at.is_(None))


def _summaries(conn: Connection, query: Select[Any]) -> list[CustomerSummary]:
    """Run a `_summary_select()` query and attach each customer's phones and emails."""
    rows = [row._mapping for row in conn.execute(query)]
    ids = [row["id"] for row in rows]
    phones: dict[str, list[str]] = {i: [] for i in ids}
    emails: dict[str, list[str]] = {i: [] for i in ids}
    if ids:
        cp = t.contact_point
        points = conn.execute(
            select(cp.c.customer_id, cp.c.kind, cp.c.value)
            .where(
                cp.c.customer_id.in_(ids),
                cp.c.kind.in_(("phone", "email")),
                cp.c.deleted_at.is_(None),
            )
            .order_by(cp.c.customer_id, cp.c.is_primary.desc(), cp.c.value)
        )
        for customer_id, kind, value in points:
            (phones if kind == "phone" else emails)[customer_id].append(value)
    return [
        CustomerSummary(
            id=row["id"],
            version=row["version"],
            display_name=row["display_name"],
            organisation=row["organisation"],
            account_number=row["account_number"],
            territory_id=row["territory_id"],
            segment=row["segment"],
            tier=row["tier"],
            do_not_contact=row["do_not_contact"],
            phones=phones[row["id"]],
            emails=emails[row["id"]],
            open_cases=int(row["open_cases"] or 0),
            last_interaction_at=row["last_interaction_at"],
        )
        for row in rows
    ]


# ---- lookup -----------------------------------------------------------------------------------


def _normalized_contact(phone: str | None, email: str | None, region: str) -> tuple[str, str]:
    """(kind, value) as stored in contact_point; ApiError 400 for bad input."""
    if (phone is None) == (email is None):
        raise ApiError("bad_request", "give exactly one of the query parameters phone and email")
    if phone is not None:
        e164 = normalize_phone(phone, region)
        if e164 is None:
            raise ApiError(
                "bad_request",
                "the phone number could not be read as a valid number",
                {"field": "phone", "default_region": region},
            )
        return "phone", e164
    assert email is not None
    value = email.strip().lower()
    local, at, domain = value.partition("@")
    if not (local and at and domain) or any(c.isspace() or not c.isprintable() for c in value):
        raise ApiError("bad_request", "the email address is not valid", {"field": "email"})
    return "email", value


@router.get(
    "/api/v1/customers/lookup",
    response_model=LookupResponse,
    responses=_ERR,
    summary="Find customers by an exact phone number or email address",
)
def lookup_customers(
    user: CurrentUser,
    state: State,
    phone: Annotated[str | None, Query(max_length=MAX_PHONE_LENGTH)] = None,
    email: Annotated[str | None, Query(max_length=MAX_EMAIL_LENGTH)] = None,
    x_client_id: Annotated[str | None, Header(max_length=MAX_CLIENT_ID_LENGTH)] = None,
) -> LookupResponse:
    kind, value = _normalized_contact(phone, email, state.settings.default_region)
    cp = t.contact_point
    query = _summary_select().where(
        t.customer.c.id.in_(
            select(cp.c.customer_id).where(cp.c.kind == kind, cp.c.value == value, cp.c.deleted_at.is_(None))
        )
    )
    visible = _visible(user)
    if visible is not None:
        query = query.where(visible)
    columns = query.selected_columns
    query = query.order_by(
        columns.open_cases.desc(),
        columns.last_interaction_at.desc().nulls_last(),
        t.customer.c.display_name,
        t.customer.c.id,
    ).limit(MAX_LOOKUP_MATCHES)
    with state.db.read() as conn:
        matches = _summaries(conn, query)
    if matches:
        with state.db.write() as conn:
            _audit(conn, user, x_client_id, (m.id for m in matches), "lookup")
    return LookupResponse(matches=matches, normalized=value)


# ---- search -----------------------------------------------------------------------------------


def _prefix_upper_bound(prefix: str) -> str | None:
    """The least string greater than every string that starts with `prefix` (code-point order).

    None when there is none (the prefix is all U+10FFFF). Surrogates are skipped: they cannot be
    stored as UTF-8.
    """
    chars = list(prefix)
    while chars:
        code = ord(chars.pop()) + 1
        if 0xD800 <= code <= 0xDFFF:
            code = 0xE000
        if code <= 0x10FFFF:
            return "".join(chars) + chr(code)
    return None


def _term_prefix(alias: Any, term: str) -> ColumnElement[bool]:
    """`alias.term` starts with `term`, as a range over the B-tree index (no LIKE, no wildcards).

    The range is exact in code-point order (SQLite BINARY, PostgreSQL "C" collation); the substr
    check keeps the answer exact under a linguistic collation too.
    """
    column = alias.c.term
    clauses = [column >= term, func.substr(column, 1, len(term)) == term]
    upper = _prefix_upper_bound(term)
    if upper is not None:
        clauses.append(column < upper)
    return and_(*clauses)


@router.get(
    "/api/v1/customers/search",
    response_model=SearchResponse,
    responses=_ERR,
    summary="Search customers by name, account number, email or phone prefix",
)
def search_customers(
    user: CurrentUser,
    state: State,
    q: Annotated[str, Query(min_length=1, max_length=200)],
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
) -> SearchResponse:
    # Search results are deliberately not audited: search-as-you-type would flood the audit log
    # with every customer a keystroke lists. Opening one (lookup or detail) is audited.
    terms = sorted(set(query_terms(q)), key=lambda term: (-len(term), term))[:MAX_QUERY_TERMS]
    # a NUL cannot be stored in PostgreSQL text: such a term matches nothing either way
    terms = [term for term in terms if term and "\x00" not in term]
    if not terms:
        return SearchResponse(results=[])
    driving, *others = terms
    ct = t.customer_term
    candidates = select(ct.c.customer_id).where(_term_prefix(ct, driving))
    if not user.sees_directory:
        candidates = candidates.where(ct.c.territory_id.in_(user.territory_ids))
    candidates = candidates.order_by(ct.c.term).limit(SEARCH_CANDIDATES)
    candidate_ids = candidates.subquery("candidates")
    query = _summary_select().where(t.customer.c.id.in_(select(candidate_ids.c.customer_id)))
    for index, term in enumerate(others):
        other = ct.alias(f"term_{index}")
        query = query.where(exists().where(other.c.customer_id == t.customer.c.id, _term_prefix(other, term)))
    visible = _visible(user)
    if visible is not None:
        query = query.where(visible)
    query = query.order_by(t.customer.c.display_name, t.customer.c.id).limit(limit)
    with state.db.read() as conn:
        return SearchResponse(results=_summaries(conn, query))


# ---- one customer -----------------------------------------------------------------------------


def _fields(entity: str, row: Mapping[Any, Any]) -> dict[str, Any]:
    """A row's wire fields (the entity's record, without id and version).

    A NULL in a column whose wire field is a non-optional string (created_at, opened_at, …) is
    sent as the field's default.
    """
    out: dict[str, Any] = {}
    for field in msgspec.structs.fields(ENTITIES[entity][0]):
        value = row.get(field.name)
        if value is None and field.default is not msgspec.NODEFAULT:
            value = field.default
        out[field.name] = value
    return out


def _rows(conn: Connection, entity: str, query: Select[Any]) -> list[dict[str, Any]]:
    """The rows as wire records: id, version and the fields."""
    return [
        {"id": row.id, "version": row.version, **_fields(entity, row._mapping)} for row in conn.execute(query)
    ]


def _children(entity: str, customer_id: str) -> Select[Any]:
    table = t.ENTITY_TABLES[entity]
    return select(table).where(table.c.customer_id == customer_id, table.c.deleted_at.is_(None))


def _grant_scope(conn: Connection, client_id: str, scope: str, user_id: str, expires_at: str) -> None:
    """Insert or refresh the client's on-demand scope grant (an upsert on both backends)."""
    values = {"client_id": client_id, "scope": scope, "user_id": user_id, "expires_at": expires_at}
    table = t.scope_grant
    if conn.dialect.name == "postgresql":
        pg = postgresql.insert(table).values(**values)
        conn.execute(
            pg.on_conflict_do_update(
                index_elements=[table.c.client_id, table.c.scope],
                set_={"user_id": pg.excluded.user_id, "expires_at": pg.excluded.expires_at},
            )
        )
        return
    lite = sqlite.insert(table).values(**values)
    conn.execute(
        lite.on_conflict_do_update(
            index_elements=[table.c.client_id, table.c.scope],
            set_={"user_id": lite.excluded.user_id, "expires_at": lite.excluded.expires_at},
        )
    )


def _not_found(customer_id: str) -> ApiError:
    return ApiError("not_found", "no such customer", {"entity": "customer", "id": customer_id})


@router.get(
    "/api/v1/customers/{customer_id}",
    response_model=CustomerDetail,
    responses=_ERR_DETAIL,
    summary="One customer with contact points, references, recent history, open cases, holdings",
)
def get_customer(
    user: CurrentUser,
    state: State,
    customer_id: Annotated[str, Path(max_length=MAX_CUSTOMER_ID_LENGTH)],
    x_client_id: Annotated[str | None, Header(max_length=MAX_CLIENT_ID_LENGTH)] = None,
) -> CustomerDetail:
    if "\x00" in customer_id:  # never an id; PostgreSQL refuses NUL in text parameters
        raise _not_found(customer_id)
    cust = t.customer
    with state.db.read() as conn:
        row = conn.execute(select(cust).where(cust.c.id == customer_id, cust.c.deleted_at.is_(None))).first()
        if row is None or not user.in_territory(row.territory_id):
            raise _not_found(customer_id)
        cp, ref, inter, case = t.contact_point, t.external_ref, t.interaction, t.support_case
        contact_points = _rows(
            conn,
            "contact_point",
            _children("contact_point", customer_id).order_by(cp.c.kind, cp.c.is_primary.desc(), cp.c.value),
        )
        external_refs = _rows(
            conn,
            "external_ref",
            _children("external_ref", customer_id).order_by(ref.c.system, ref.c.key),
        )
        recent_interactions = _rows(
            conn,
            "interaction",
            _children("interaction", customer_id)
            .order_by(inter.c.occurred_at.desc(), inter.c.id)
            .limit(RECENT_INTERACTIONS),
        )
        open_cases = _rows(
            conn,
            "case",
            _children("case", customer_id)
            .where(case.c.status.in_(OPEN_CASE_STATUSES))
            .order_by(case.c.opened_at.desc().nulls_last(), case.c.number),
        )
        holdings = _rows(
            conn,
            "holding",
            _children("holding", customer_id).order_by(t.holding.c.since, t.holding.c.id),
        )
    scope = Scope("customer", customer_id)
    granted = x_client_id is not None and may_subscribe(user, scope, customer_territory=row.territory_id)
    expires_at = iso(utcnow() + timedelta(hours=ON_DEMAND_TTL_HOURS))
    with state.db.write() as conn:
        if granted:
            assert x_client_id is not None
            _grant_scope(conn, x_client_id, scope.name, user.id, expires_at)
        _audit(conn, user, x_client_id, [customer_id], "detail")
    return CustomerDetail(
        id=row.id,
        version=row.version,
        fields=_fields("customer", row._mapping),
        contact_points=contact_points,
        external_refs=external_refs,
        recent_interactions=recent_interactions,
        open_cases=open_cases,
        holdings=holdings,
        scope=scope.name if granted else "",
        scope_expires_at=expires_at if granted else "",
    )
