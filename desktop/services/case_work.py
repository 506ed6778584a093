"""Case work and logging contacts as local edits: each writes the row and its outbox entry in one
store transaction, so it survives a crash and reaches the server on the next push (Qt-free).

The case status state machine is the server's (`server/sync/policy.py CASE_TRANSITIONS`; the desktop
may not import the server, and a unit test checks the two tables are equal). The desktop offers only
legal transitions; the server checks them again, and a jump that became illegal meanwhile (a
colleague resolved the case) comes back as a conflict.

Functions whose name starts with a verb take the store `Writer` and run on the task runner's write
lane; `allowed_statuses` and `pending_escalation` are reads.
"""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Final, Literal

from sqlalchemy import Connection

from desktop.domain import CHANNELS, Priority
from desktop.services.store.changed import Changed
from desktop.services.store.database import Writer
from desktop.services.store.driver import scalar
from desktop.services.store.edits import edit_in, new_record_id
from desktop.services.store.errors import LocalEditError
from desktop.services.store.outbox import pending_create
from desktop.services.store.rows import Touched, read_row
from desktop.services.store.search_index import reindex
from wire.auth import UserInfo

#: legal case status changes (reopen only from resolved; closed is final)
CASE_TRANSITIONS: Final[dict[str, frozenset[str]]] = {
    "new": frozenset({"open", "pending", "escalated", "resolved"}),
    "open": frozenset({"pending", "escalated", "resolved"}),
    "pending": frozenset({"open", "escalated", "resolved"}),
    "escalated": frozenset({"open", "pending", "resolved"}),
    "resolved": frozenset({"closed", "open"}),
    "closed": frozenset(),
}
STATUS_ORDER: Final = ("new", "open", "pending", "escalated", "resolved", "closed")
PRIORITIES: Final[tuple[Priority, ...]] = ("low", "normal", "high", "urgent")
MAX_TEXT: Final = 10_000

InteractionKind = Literal["call_note", "field_visit", "partner_contact"]
INTERACTION_KINDS: Final[tuple[InteractionKind, ...]] = ("call_note", "field_visit", "partner_contact")
_KIND_CHANNEL: Final[dict[InteractionKind, str]] = {
    "call_note": "phone",
    "field_visit": "field_visit",
    "partner_contact": "partner",
}


class CaseWorkError(LocalEditError):
    """The edit was refused before anything was written (illegal transition, empty note…)."""


def allowed_statuses(current: str) -> tuple[str, ...]:
    """The statuses a case in `current` may move to, in lifecycle order (the current one excluded)."""
    targets = CASE_TRANSITIONS.get(current, frozenset())
    return tuple(s for s in STATUS_ORDER if s in targets)


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _transaction(writer: Writer, step: Callable[[Connection, Touched, str], None]) -> Changed:
    touched = Touched()
    at = _now()
    with writer.transaction() as conn:
        step(conn, touched, at)
        reindex(conn, touched.customers)
    return touched.changed


def _case_values(conn: Connection, case_id: str) -> dict[str, Any]:
    found = read_row(conn, "case", case_id)
    if found is None:
        raise CaseWorkError(f"The case {case_id} is not in the cache any more.")
    return found[1]


def _text(value: str, what: str) -> str:
    cleaned = value.replace("\x00", "").strip()
    if not cleaned:
        raise CaseWorkError(f"The {what} is empty.")
    if len(cleaned) > MAX_TEXT:
        raise CaseWorkError(f"The {what} is longer than {MAX_TEXT} characters.")
    return cleaned


def change_case(
    writer: Writer, case_id: str, *, status: str | None = None, priority: str | None = None
) -> Changed:
    """Set a case's status (only along the state machine) and/or priority."""

    def step(conn: Connection, touched: Touched, at: str) -> None:
        current = _case_values(conn, case_id)
        patch: dict[str, Any] = {}
        if status is not None and status != current.get("status"):
            if status not in allowed_statuses(str(current.get("status"))):
                raise CaseWorkError(f"A {current.get('status')} case cannot become {status}.")
            patch["status"] = status
        if priority is not None and priority != current.get("priority"):
            if priority not in PRIORITIES:
                raise CaseWorkError(f"Unknown priority {priority!r}.")
            patch["priority"] = priority
        if patch:
            edit_in(conn, "case", case_id, "update", patch, None, touched, at=at)

    return _transaction(writer, step)


def add_note(
    writer: Writer, case_id: str, body: str, user: UserInfo | None, *, visibility: str = "internal"
) -> Changed:
    """Append a note to a case (notes are never edited or deleted)."""
    text = _text(body, "note")

    def step(conn: Connection, touched: Touched, at: str) -> None:
        _case_values(conn, case_id)
        values: dict[str, Any] = {
            "case_id": case_id,
            "body": text,
            "visibility": visibility,
            "created_at": at,
        }
        if user is not None:
            values |= {"author_id": user.id, "author_name": user.display_name}
        edit_in(
            conn,
            "case_note",
            new_record_id(),
            "append",
            values,
            pending_create(conn, "case", case_id),
            touched,
            at=at,
        )

    return _transaction(writer, step)


def escalate(writer: Writer, case_id: str, reason: str) -> Changed:
    """Ask the server to escalate the case (status escalated, priority at least high, SLA within 4 h).

    A command: the visible row changes when the server's answer is pulled back.
    """
    text = _text(reason, "reason for escalating")

    def step(conn: Connection, touched: Touched, at: str) -> None:
        status = str(_case_values(conn, case_id).get("status"))
        if "escalated" not in allowed_statuses(status):
            raise CaseWorkError(f"A {status} case cannot be escalated.")
        edit_in(conn, "case", case_id, "command", {"name": "escalate", "reason": text}, None, touched, at=at)

    return _transaction(writer, step)


def pending_escalation(conn: Connection, case_id: str) -> bool:
    """Whether an escalate command for the case is still in the outbox (not yet confirmed by a pull)."""
    found = scalar(
        conn,
        "SELECT 1 FROM outbox WHERE entity = 'case' AND entity_id = ? AND op = 'command' "
        "AND json_extract(new_values, '$.name') = 'escalate' LIMIT 1",
        (case_id,),
    )
    return found is not None


def log_interaction(
    writer: Writer,
    customer_id: str,
    kind: InteractionKind,
    summary: str,
    user: UserInfo | None,
    *,
    direction: str = "outbound",
    partner: str | None = None,
    outcome: str | None = None,
    case_id: str | None = None,
    duration_s: int | None = None,
    occurred_at: str | None = None,
) -> tuple[str, Changed]:
    """Record a call note, a field visit or a partner contact in the customer's timeline."""
    text = _text(summary, "summary")
    if kind not in _KIND_CHANNEL:
        raise CaseWorkError(f"Unknown kind of interaction {kind!r}.")
    partner_name = (partner or "").strip() or None
    if kind == "partner_contact" and partner_name is None:
        raise CaseWorkError("A partner contact needs the partner's name.")
    row_id = new_record_id()

    def step(conn: Connection, touched: Touched, at: str) -> None:
        if read_row(conn, "customer", customer_id) is None:
            raise CaseWorkError(f"The customer {customer_id} is not in the cache any more.")
        values: dict[str, Any] = {
            "customer_id": customer_id,
            "channel": _KIND_CHANNEL[kind],
            "direction": direction,
            "occurred_at": occurred_at or at,
            "summary": text,
            "partner": partner_name,
            "outcome": (outcome or "").strip() or None,
            "case_id": case_id,
            "duration_s": duration_s,
        }
        if user is not None:
            values |= {"agent_id": user.id, "agent_name": user.display_name}
        depends = None
        if case_id is not None:
            depends = pending_create(conn, "case", case_id)
        depends = depends or pending_create(conn, "customer", customer_id)
        edit_in(conn, "interaction", row_id, "append", values, depends, touched, at=at)

    return row_id, _transaction(writer, step)


def case_number(case_id: str) -> str:
    """The number a case made here gets: the server's own rule for a case without one."""
    return f"CS-{case_id[:8].upper()}"


def new_case(
    writer: Writer,
    customer_id: str,
    subject: str,
    user: UserInfo | None,
    *,
    description: str = "",
    priority: str = "normal",
    origin_channel: str = "phone",
) -> tuple[str, Changed]:
    """Open a new case for the customer; returns its id."""
    title = _text(subject, "subject")
    if priority not in PRIORITIES:
        raise CaseWorkError(f"Unknown priority {priority!r}.")
    if origin_channel not in CHANNELS:
        raise CaseWorkError(f"Unknown channel {origin_channel!r}.")
    case_id = new_record_id()

    def step(conn: Connection, touched: Touched, at: str) -> None:
        if read_row(conn, "customer", customer_id) is None:
            raise CaseWorkError(f"The customer {customer_id} is not in the cache any more.")
        values: dict[str, Any] = {
            "number": case_number(case_id),
            "customer_id": customer_id,
            "subject": title,
            "description": description.replace("\x00", "").strip()[:MAX_TEXT],
            "status": "new",
            "priority": priority,
            "origin_channel": origin_channel,
            "opened_at": at,
            "owner_id": None if user is None else user.id,
        }
        edit_in(
            conn,
            "case",
            case_id,
            "create",
            values,
            pending_create(conn, "customer", customer_id),
            touched,
            at=at,
        )

    return case_id, _transaction(writer, step)
