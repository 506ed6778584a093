"""Who may write which record: every pushed mutation is authorized against the record's customer."""

from typing import Any

from server.auth.principal import Principal
from server.sync.changes import ChangeWriter
from server.sync.outcome import Rejected


class Forbidden(Exception):
    pass


def customer_of(w: ChangeWriter, entity: str, row: dict[str, Any]) -> str | None:
    """The customer a record belongs to (None for records that belong to none)."""
    if entity == "customer":
        return str(row["id"])
    if row.get("customer_id"):
        return str(row["customer_id"])
    if entity == "case_note":
        case = w.ctx.case(row["case_id"])
        return str(case["customer_id"]) if case is not None else None
    return None


def check_record_access(w: ChangeWriter, user: Principal, entity: str, row: dict[str, Any]) -> None:
    """Raise Forbidden unless the user may change this record (field reps: own territories only)."""
    if user.is_admin:
        return
    if entity == "conflict":
        if user.id in (row.get("user_id"), row.get("owner_id")) or user.is_supervisor:
            return
        raise Forbidden("only the users party to a conflict may resolve it")
    if entity == "customer" and "territory_id" in row:
        territory = row["territory_id"]
    else:
        customer_id = customer_of(w, entity, row)
        if customer_id is None:
            raise Forbidden(f"{entity} is not attached to a customer you can reach")
        territory = w.ctx.customer_territory(customer_id)
    if territory is None or not user.in_territory(str(territory)):
        raise Forbidden("this record is outside your territories")


def require_record_access(w: ChangeWriter, user: Principal, entity: str, row: dict[str, Any]) -> None:
    """`check_record_access` for a pushed mutation: refusal dead-letters it as `forbidden: …`."""
    try:
        check_record_access(w, user, entity, row)
    except Forbidden as exc:
        raise Rejected(f"forbidden: {exc}") from exc
