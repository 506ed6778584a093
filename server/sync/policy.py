"""The per-field merge policy table (SYNC.md section 6), kept in this one place.

| policy | on a concurrent change (server value ≠ base) |
|---|---|
| `manual` (default) | a conflict record keeps both values; the server keeps its value |
| `server` | the client's value is ignored (and logged); changed only by commands |
| `client` | the client's value wins (no field of protocol 1 needs it yet: wrap-up is append-only) |
| `state_machine` | applied when the transition from the server's value is legal, else a conflict |
| `privacy_true` / `privacy_false` | the more restrictive value is kept silently and logged |
"""

from typing import Final, Literal

Policy = Literal["manual", "server", "client", "state_machine", "privacy_true", "privacy_false"]

POLICY: Final[dict[str, dict[str, Policy]]] = {
    "case": {
        "status": "state_machine",
        "owner_id": "server",
        "queue_id": "server",
        "sla_due_at": "server",
        "number": "server",
        "customer_id": "server",
        "opened_at": "server",
        "resolved_at": "server",
    },
    "customer": {
        "do_not_contact": "privacy_true",
        "consent_marketing": "privacy_false",
        "consent_contact": "privacy_false",
        "territory_id": "server",
        "lifetime_value": "server",
        "created_at": "server",
        "updated_at": "server",
    },
    "contact_point": {"customer_id": "server"},
    "external_ref": {"customer_id": "server"},
}

#: case status transitions (reopen only from resolved); anything else is an illegal jump
CASE_TRANSITIONS: Final[dict[str, frozenset[str]]] = {
    "new": frozenset({"open", "pending", "escalated", "resolved"}),
    "open": frozenset({"pending", "escalated", "resolved"}),
    "pending": frozenset({"open", "escalated", "resolved"}),
    "escalated": frozenset({"open", "pending", "resolved"}),
    "resolved": frozenset({"closed", "open"}),
    "closed": frozenset(),
}


def policy_of(entity: str, field: str) -> Policy:
    return POLICY.get(entity, {}).get(field, "manual")


def legal_transition(entity: str, field: str, old: object, new: object) -> bool:
    if entity == "case" and field == "status":
        return old == new or (isinstance(old, str) and new in CASE_TRANSITIONS.get(old, frozenset()))
    return True
