"""Scopes: which synced rows each scope holds, and who may subscribe to which scope.

A row's scopes are computed in two equivalent ways that must agree:
- `memberships()` in Python, when a row is written (the change log records them), and
- `snapshot_queries()` in SQL, when a scope is primed or checksummed.

| scope | holds |
|---|---|
| `directory` | every customer, contact point and external ref (agents, supervisors, admins) |
| `territory:<id>` | the territory's customers and everything of theirs: contact points, external refs, holdings, offer responses, interactions, cases, case notes |
| `customer:<id>` | the same for one customer (granted on demand, with a TTL) |
| `queue:<id>` | the queue's open cases, their notes and the interactions linked to them |
| `user:<id>` | the user's own cases and their notes, and the conflicts the user caused or owns |
| `ref` | queues, territories, products, offers, affinities, disposition codes, the user directory |
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import Connection, Select, and_, or_, select
from sqlalchemy.sql.elements import ColumnElement

from server.auth.principal import Principal
from server.db import tables as t
from wire.records import REF_ENTITIES

OPEN_CASE_STATUSES: Final = ("new", "open", "pending", "escalated")
CUSTOMER_CHILDREN: Final = ("contact_point", "external_ref", "holding", "offer_response", "interaction")
ON_DEMAND_TTL_HOURS: Final = 24

#: priming order of the entities inside one scope: cases and customers first, history later
ENTITY_ORDER: Final[tuple[str, ...]] = (
    "case",
    "customer",
    "contact_point",
    "external_ref",
    "case_note",
    "holding",
    "offer_response",
    "interaction",
    "conflict",
    *REF_ENTITIES,
)


@dataclass(frozen=True, slots=True)
class Scope:
    kind: str
    key: str

    @property
    def name(self) -> str:
        return self.kind if not self.key else f"{self.kind}:{self.key}"


SCOPE_KINDS: Final = {"directory", "ref", "queue", "territory", "user", "customer"}


def parse_scope(name: str) -> Scope | None:
    """`territory:north` → Scope("territory", "north"); None for a malformed name."""
    if len(name) > 80:
        return None
    kind, _, key = name.partition(":")
    if kind not in SCOPE_KINDS:
        return None
    if kind in ("directory", "ref"):
        return Scope(kind, "") if not key else None
    if not key or any(c.isspace() for c in key):
        return None
    return Scope(kind, key)


def default_scopes(user: Principal) -> list[str]:
    """The scopes a user's desktop subscribes to by default, in priming order."""
    scopes = [f"user:{user.id}"]
    if user.sees_directory:
        scopes += [f"queue:{q}" for q in user.queue_ids]
        scopes.append("directory")
    scopes += [f"territory:{tid}" for tid in user.territory_ids]
    scopes.append("ref")
    return scopes


def may_subscribe(user: Principal, scope: Scope, *, customer_territory: str | None) -> bool:
    """Whether the user may pull this scope (`customer_territory` for customer scopes)."""
    if user.is_admin:
        return True
    if scope.kind == "ref":
        return True
    if scope.kind == "user":
        return scope.key == user.id
    if scope.kind == "directory":
        return user.sees_directory
    if scope.kind == "queue":
        return user.sees_directory and (scope.key in user.queue_ids or user.is_supervisor)
    if scope.kind == "territory":
        return scope.key in user.territory_ids
    if scope.kind == "customer":
        return customer_territory is not None and user.in_territory(customer_territory)
    return False


# ---- memberships of written rows (Python) ---------------------------------------------------


class MembershipContext:
    """Looks up (and caches, within one transaction) what memberships depend on."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._territory: dict[str, str | None] = {}
        self._case: dict[str, Mapping[str, Any] | None] = {}

    def customer_territory(self, customer_id: str) -> str | None:
        if customer_id not in self._territory:
            self._territory[customer_id] = self.conn.execute(
                select(t.customer.c.territory_id).where(t.customer.c.id == customer_id)
            ).scalar_one_or_none()
        return self._territory[customer_id]

    def case(self, case_id: str) -> Mapping[str, Any] | None:
        if case_id not in self._case:
            row = self.conn.execute(
                select(
                    t.support_case.c.customer_id,
                    t.support_case.c.status,
                    t.support_case.c.queue_id,
                    t.support_case.c.owner_id,
                ).where(t.support_case.c.id == case_id)
            ).first()
            self._case[case_id] = dict(row._mapping) if row is not None else None
        return self._case[case_id]

    def forget(self, entity: str, row_id: str) -> None:
        """Drop cached facts about a row that is being changed."""
        if entity == "customer":
            self._territory.pop(row_id, None)
        elif entity == "case":
            self._case.pop(row_id, None)


def _customer_scopes(ctx: MembershipContext, customer_id: str, *, directory: bool) -> set[str]:
    out = {f"customer:{customer_id}"}
    territory = ctx.customer_territory(customer_id)
    if territory is not None:
        out.add(f"territory:{territory}")
    if directory:
        out.add("directory")
    return out


def _case_scopes(ctx: MembershipContext, case: Mapping[str, Any]) -> set[str]:
    out = _customer_scopes(ctx, case["customer_id"], directory=False)
    if case.get("owner_id"):
        out.add(f"user:{case['owner_id']}")
    if case.get("queue_id") and case.get("status") in OPEN_CASE_STATUSES:
        out.add(f"queue:{case['queue_id']}")
    return out


def memberships(ctx: MembershipContext, entity: str, row: Mapping[str, Any]) -> set[str]:
    """The scopes a row (its current values) belongs to."""
    if entity in REF_ENTITIES:
        return {"ref"}
    if entity == "customer":
        territory = row.get("territory_id")
        out = {"directory", f"customer:{row['id']}"}
        if territory:
            out.add(f"territory:{territory}")
        return out
    if entity in ("contact_point", "external_ref"):
        return _customer_scopes(ctx, row["customer_id"], directory=True)
    if entity in ("holding", "offer_response"):
        return _customer_scopes(ctx, row["customer_id"], directory=False)
    if entity == "interaction":
        out = _customer_scopes(ctx, row["customer_id"], directory=False)
        if row.get("case_id"):
            case = ctx.case(row["case_id"])
            if case is not None and case["queue_id"] and case["status"] in OPEN_CASE_STATUSES:
                out.add(f"queue:{case['queue_id']}")
        return out
    if entity == "case":
        return _case_scopes(ctx, row)
    if entity == "case_note":
        case = ctx.case(row["case_id"])
        return _case_scopes(ctx, case) if case is not None else set()
    if entity == "conflict":
        return {f"user:{u}" for u in (row.get("user_id"), row.get("owner_id")) if u}
    raise KeyError(entity)


def dependents(conn: Connection, entity: str, row_id: str) -> list[tuple[str, dict[str, Any]]]:
    """Rows whose scopes follow this row's: a customer's children, a case's notes and interactions."""
    out: list[tuple[str, dict[str, Any]]] = []
    if entity == "customer":
        for child in CUSTOMER_CHILDREN:
            table = t.ENTITY_TABLES[child]
            out += [
                (child, dict(r._mapping))
                for r in conn.execute(select(table).where(table.c.customer_id == row_id))
            ]
        for case in conn.execute(select(t.support_case).where(t.support_case.c.customer_id == row_id)):
            out.append(("case", dict(case._mapping)))
            out += _case_dependents(conn, case.id, include_interactions=False)
    elif entity == "case":
        out += _case_dependents(conn, row_id, include_interactions=True)
    return out


def _case_dependents(
    conn: Connection, case_id: str, *, include_interactions: bool
) -> list[tuple[str, dict[str, Any]]]:
    out = [
        ("case_note", dict(r._mapping))
        for r in conn.execute(select(t.case_note).where(t.case_note.c.case_id == case_id))
    ]
    if include_interactions:
        out += [
            ("interaction", dict(r._mapping))
            for r in conn.execute(select(t.interaction).where(t.interaction.c.case_id == case_id))
        ]
    return out


# ---- the same memberships as SQL (snapshots and checksums) ----------------------------------


def _in_scope(entity: str, scope: Scope) -> ColumnElement[bool] | None:
    """A WHERE clause selecting the entity's rows that belong to the scope (None: no rows)."""
    table = t.ENTITY_TABLES[entity]
    if scope.kind == "ref":
        return table.c.id.is_not(None) if entity in REF_ENTITIES else None
    if entity in REF_ENTITIES:
        return None
    cust = t.customer
    case = t.support_case
    if scope.kind == "directory":
        if entity in ("customer", "contact_point", "external_ref"):
            return table.c.id.is_not(None)
        return None
    if scope.kind in ("territory", "customer"):
        if scope.kind == "territory":
            customers: Any = select(cust.c.id).where(cust.c.territory_id == scope.key)
            if entity == "customer":
                return table.c.territory_id == scope.key
        else:
            customers = select(cust.c.id).where(cust.c.id == scope.key)
            if entity == "customer":
                return table.c.id == scope.key
        if entity in (*CUSTOMER_CHILDREN, "case"):
            return table.c.customer_id.in_(customers)
        if entity == "case_note":
            return table.c.case_id.in_(select(case.c.id).where(case.c.customer_id.in_(customers)))
        return None
    if scope.kind == "queue":
        open_cases = select(case.c.id).where(
            and_(case.c.queue_id == scope.key, case.c.status.in_(OPEN_CASE_STATUSES))
        )
        if entity == "case":
            return and_(table.c.queue_id == scope.key, table.c.status.in_(OPEN_CASE_STATUSES))
        if entity in ("case_note", "interaction"):
            return table.c.case_id.in_(open_cases)
        return None
    if scope.kind == "user":
        if entity == "case":
            return table.c.owner_id == scope.key
        if entity == "case_note":
            return table.c.case_id.in_(select(case.c.id).where(case.c.owner_id == scope.key))
        if entity == "conflict":
            return or_(table.c.user_id == scope.key, table.c.owner_id == scope.key)
        return None
    return None


def scope_entities(scope: Scope) -> list[str]:
    """The entities a scope can hold, in priming order."""
    return [e for e in ENTITY_ORDER if _in_scope(e, scope) is not None]


def snapshot_query(entity: str, scope: Scope) -> Select[Any]:
    """Live (not deleted) rows of the entity in the scope, ordered by id (the keyset)."""
    where = _in_scope(entity, scope)
    if where is None:
        raise KeyError(f"{entity} is not in {scope.name}")
    table = t.ENTITY_TABLES[entity]
    return select(table).where(and_(where, table.c.deleted_at.is_(None))).order_by(table.c.id)


def scope_contains(conn: Connection, scope: Scope, entity: str, ids: Sequence[str]) -> set[str]:
    """Which of these rows (live or deleted) belong to the scope now (by the SQL definition)."""
    where = _in_scope(entity, scope)
    if where is None or not ids:
        return set()
    table = t.ENTITY_TABLES[entity]
    return set(conn.execute(select(table.c.id).where(and_(where, table.c.id.in_(ids)))).scalars())


def chunks(items: Sequence[str], size: int = 500) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
