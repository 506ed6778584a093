"""Sync conflicts and rejected changes, as the agent sees and settles them (Qt-free; SYNC.md §2).

Conflicts are server-owned rows (the `conflict` mirror) that sync down in the `user:` scopes of the
editor and the record owner. Each is one field of one record with three values: `base` (what both
sides started from), `theirs` (the server kept it: the first write won) and `mine` (the value that
lost, kept in the conflict so nothing is lost). Settling one is an ordinary `command` local edit on
the conflict — `resolve_conflict` with an action (`keep_server`, `use_value` + `value`, `restore`,
`dismiss`) — written to the outbox in one store transaction like any other edit; the conflict stays
open in the cache until the pull after the push brings it back resolved. Meanwhile it is shown as
"resolving" (its command is in the outbox) and a second resolution is refused.

Rejected changes are the `rejected_log`: mutations the server will never apply, with its reason and
the payload that was sent, so the agent can read why and copy their text back out.

Reads take a connection (`cache.read()`, bounded: at most `LIMIT` rows); `resolve` and
`dismiss_rejected` take the store `Writer` and run on the task runner's write lane.
"""

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from types import UnionType
from typing import Any, Final, Literal, Union, get_args, get_origin, get_type_hints

import msgspec
from sqlalchemy import Connection, delete, select

from desktop.services.store.changed import Changed
from desktop.services.store.database import Writer
from desktop.services.store.edits import edit_in
from desktop.services.store.errors import LocalEditError
from desktop.services.store.jsontext import loads_object
from desktop.services.store.rows import Touched, read_row
from desktop.services.store.schema import MIRRORS, outbox, rejected_log
from wire.records import ENTITIES, validate_patch

#: at most this many conflicts or rejected changes are listed (a user has a handful, not thousands)
LIMIT: Final = 500
ConflictKind = Literal["field", "deleted_remotely", "stale_delete", "possible_duplicate"]
#: what the agent picks: the server's value, their own, or a value they typed
Choice = Literal["theirs", "mine", "edit"]
Action = Literal["keep_server", "use_value", "restore", "dismiss"]
EditKind = Literal["text", "integer", "number", "choice", "none"]
_conflict = MIRRORS["conflict"]


class ConflictWorkError(LocalEditError):
    """A resolution was refused before anything was written (already resolving, bad value…)."""


@dataclass(frozen=True)
class RecordRef:
    """The record a conflict is about, described for a list row."""

    entity: str
    entity_id: str
    #: a short human name: the case number and subject, the customer's name… ("" when not cached)
    title: str
    #: the customer the record belongs to (to open their screen), when known
    customer_id: str | None


@dataclass(frozen=True)
class OpenConflict:
    """One open conflict: one field of one record, with the three values side by side."""

    conflict_id: str
    record: RecordRef
    field: str
    kind: ConflictKind
    base: Any
    theirs: Any
    mine: Any
    created_at: str | None
    #: a resolve command for it is in the outbox (waiting for the push and the pull)
    resolving: bool
    #: who made the edit that lost ("mine" is theirs when the viewer is the record's owner)
    editor_id: str | None = None
    editor_name: str = ""


@dataclass(frozen=True)
class Resolution:
    """What to send for one conflict: the `resolve_conflict` command's arguments."""

    conflict_id: str
    action: Action
    value: Any = None

    def command(self) -> dict[str, Any]:
        values: dict[str, Any] = {"name": "resolve_conflict", "action": self.action}
        if self.action == "use_value":
            values["value"] = self.value
        return values


@dataclass(frozen=True)
class EditSpec:
    """How a typed value for a field is entered: free text, a number, one of fixed choices, or not at all."""

    kind: EditKind
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class RejectedChange:
    """A change the server refused for good, with its reason and what was sent."""

    mutation_id: str
    entity: str
    entity_id: str
    op: str
    reason: str
    at: str
    #: the fields and values that were sent (`new_values`)
    sent: dict[str, Any]

    def sent_text(self) -> str:
        """The sent values as `field: value` lines (text verbatim), for reading and copying."""
        lines = []
        for name, value in self.sent.items():
            shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            lines.append(f"{name}: {shown}")
        return "\n".join(lines)


# ---- reading conflicts -------------------------------------------------------------------------


def _record_ref(conn: Connection, entity: str, entity_id: str) -> RecordRef:
    found = read_row(conn, entity, entity_id) if entity in MIRRORS else None
    if found is None:
        customer_id = entity_id if entity == "customer" else None
        return RecordRef(entity, entity_id, "", customer_id)
    values = found[1]
    if entity == "customer":
        return RecordRef(entity, entity_id, str(values.get("display_name") or ""), entity_id)
    customer_id = values.get("customer_id")
    owner = str(customer_id) if customer_id else None
    if entity == "case":
        title = f"{values.get('number') or ''} · {values.get('subject') or ''}".strip(" ·")
    elif entity == "contact_point":
        title = str(values.get("value") or "")
    elif entity == "external_ref":
        title = f"{values.get('system') or ''}: {values.get('key') or ''}"
    else:
        title = ""
    if owner is not None:
        customer = read_row(conn, "customer", owner)
        if customer is not None and customer[1].get("display_name"):
            name = str(customer[1]["display_name"])
            title = f"{name} · {title}" if title else name
    return RecordRef(entity, entity_id, title, owner)


def _editor_name(conn: Connection, user_id: Any, names: dict[str, str]) -> str:
    if not user_id:
        return ""
    key = str(user_id)
    if key not in names:
        found = read_row(conn, "user_directory", key)
        names[key] = str(found[1].get("display_name") or "") if found is not None else ""
    return names[key]


def _resolving_ids(conn: Connection, conflict_ids: list[str]) -> set[str]:
    if not conflict_ids:
        return set()
    rows = conn.execute(
        select(outbox.c.entity_id).where(
            outbox.c.entity == "conflict", outbox.c.entity_id.in_(conflict_ids), outbox.c.op == "command"
        )
    ).scalars()
    return {str(r) for r in rows}


def open_conflicts(conn: Connection, limit: int = LIMIT) -> list[OpenConflict]:
    """Open conflicts, oldest first (then by record and field), at most `limit`."""
    rows = conn.execute(
        select(_conflict)
        .where(_conflict.c.status == "open")
        .order_by(_conflict.c.created_at, _conflict.c.entity, _conflict.c.entity_id, _conflict.c.field)
        .limit(max(1, min(limit, LIMIT)))
    ).mappings()
    found = list(rows)
    resolving = _resolving_ids(conn, [str(r["id"]) for r in found])
    records: dict[tuple[str, str], RecordRef] = {}
    names: dict[str, str] = {}
    conflicts = []
    for row in found:
        key = (str(row["entity"]), str(row["entity_id"]))
        if key not in records:
            records[key] = _record_ref(conn, *key)
        conflicts.append(
            OpenConflict(
                conflict_id=str(row["id"]),
                record=records[key],
                field=str(row["field"]),
                kind=row["kind"],
                base=row["base_value"],
                theirs=row["server_value"],
                mine=row["client_value"],
                created_at=row["created_at"],
                resolving=str(row["id"]) in resolving,
                editor_id=row["user_id"],
                editor_name=_editor_name(conn, row["user_id"], names),
            )
        )
    return conflicts


def record_conflicts(conn: Connection, entity: str, entity_id: str) -> list[OpenConflict]:
    """The open conflicts of one record (every conflicting field), ordered by field."""
    rows = conn.execute(
        select(_conflict.c.id)
        .where(_conflict.c.entity == entity, _conflict.c.entity_id == entity_id, _conflict.c.status == "open")
        .order_by(_conflict.c.field, _conflict.c.id)
        .limit(LIMIT)
    ).scalars()
    wanted = {str(r) for r in rows}
    if not wanted:
        return []
    record = _record_ref(conn, entity, entity_id)
    resolving = _resolving_ids(conn, sorted(wanted))
    names: dict[str, str] = {}
    out = []
    for conflict_id in sorted(wanted):
        found = read_row(conn, "conflict", conflict_id)
        if found is None:
            continue
        v = found[1]
        out.append(
            OpenConflict(
                conflict_id=conflict_id,
                record=record,
                field=str(v["field"]),
                kind=v["kind"],
                base=v.get("base_value"),
                theirs=v.get("server_value"),
                mine=v.get("client_value"),
                created_at=v.get("created_at"),
                resolving=conflict_id in resolving,
                editor_id=v.get("user_id"),
                editor_name=_editor_name(conn, v.get("user_id"), names),
            )
        )
    out.sort(key=lambda c: (c.field, c.conflict_id))
    return out


# ---- choosing ----------------------------------------------------------------------------------


def choices(conflict: OpenConflict) -> tuple[Choice, ...]:
    """What the agent may pick for this conflict (its kind decides):

    - `field`: theirs (keep the server's value), mine (send my value again), edit (a typed value);
    - `deleted_remotely`: theirs (leave it deleted), mine (restore the record);
    - `stale_delete` and `possible_duplicate`: theirs only (keep the record / they are different).
    """
    if conflict.kind == "field":
        editable = edit_spec(conflict.record.entity, conflict.field).kind != "none"
        return ("theirs", "mine", "edit") if editable else ("theirs", "mine")
    if conflict.kind == "deleted_remotely":
        return ("theirs", "mine")
    return ("theirs",)


def resolution(conflict: OpenConflict, choice: Choice, edited: Any = None) -> Resolution:
    """The command that carries out `choice`; an edited value is validated against the record type."""
    if choice not in choices(conflict):
        raise ConflictWorkError(f"{choice!r} is not a way to settle this conflict.")
    if conflict.kind == "possible_duplicate":
        return Resolution(conflict.conflict_id, "dismiss")
    if conflict.kind == "deleted_remotely":
        return Resolution(conflict.conflict_id, "restore" if choice == "mine" else "keep_server")
    if choice == "theirs":
        return Resolution(conflict.conflict_id, "keep_server")
    value = conflict.mine if choice == "mine" else edited
    _check_value(conflict.record.entity, conflict.field, value)
    return Resolution(conflict.conflict_id, "use_value", value)


def _check_value(entity: str, field: str, value: Any) -> None:
    if entity not in ENTITIES:
        raise ConflictWorkError(f"Unknown record type {entity!r}.")
    try:
        validate_patch(entity, {field: value})
    except msgspec.ValidationError as exc:
        raise ConflictWorkError(f"Not a valid value for {field.replace('_', ' ')}: {exc}") from exc


def edit_spec(entity: str, field: str) -> EditSpec:
    """How the agent may type a value of their own for this field (`none`: only pick a side)."""
    if entity not in ENTITIES:
        return EditSpec("none")
    hint = get_type_hints(ENTITIES[entity][0]).get(field)
    if get_origin(hint) in (Union, UnionType):
        inner = [a for a in get_args(hint) if a is not type(None)]
        hint = inner[0] if len(inner) == 1 else None
    if get_origin(hint) is Literal and all(isinstance(a, str) for a in get_args(hint)):
        return EditSpec("choice", tuple(str(a) for a in get_args(hint)))
    kinds: dict[Any, EditKind] = {str: "text", int: "integer", float: "number"}
    return EditSpec(kinds.get(hint, "none"))


def parse_edit(spec: EditSpec, text: str) -> Any:
    """The value the agent typed, converted for the field (`ConflictWorkError` when it is not one)."""
    cleaned = text.replace("\x00", "").strip()
    if spec.kind == "text":
        return cleaned
    if spec.kind == "choice":
        if cleaned not in spec.choices:
            raise ConflictWorkError(f"Choose one of: {', '.join(spec.choices)}.")
        return cleaned
    try:
        if spec.kind == "integer":
            return int(cleaned)
        if spec.kind == "number":
            return float(cleaned)
    except ValueError as exc:
        raise ConflictWorkError(f"{cleaned!r} is not a number.") from exc
    raise ConflictWorkError("This field can only be settled by picking one side.")


# ---- writing -----------------------------------------------------------------------------------


def resolve(writer: Writer, resolutions: list[Resolution]) -> Changed:
    """Send `resolve_conflict` for each resolution: outbox entries, one transaction (all or none).

    Refused (nothing written) when a conflict is gone, already closed, or already being resolved.
    """
    touched = Touched()
    at = datetime.now(UTC).isoformat()
    with writer.transaction() as conn:
        busy = _resolving_ids(conn, [r.conflict_id for r in resolutions])
        for item in resolutions:
            found = read_row(conn, "conflict", item.conflict_id)
            if found is None or found[1].get("status") != "open":
                raise ConflictWorkError("This conflict is already closed.")
            if item.conflict_id in busy:
                raise ConflictWorkError("This conflict is already being resolved.")
            edit_in(conn, "conflict", item.conflict_id, "command", item.command(), None, touched, at=at)
            touched.changed.add("conflict", item.conflict_id)
            busy.add(item.conflict_id)
    return touched.changed


# ---- rejected changes --------------------------------------------------------------------------


def rejected_changes(conn: Connection, limit: int = LIMIT) -> list[RejectedChange]:
    """The rejected log, newest first, at most `limit` entries."""
    rows = conn.execute(
        select(rejected_log)
        .order_by(rejected_log.c.at.desc(), rejected_log.c.mutation_id)
        .limit(max(1, min(limit, LIMIT)))
    )
    out = []
    for row in rows:
        try:
            payload = loads_object(row.payload)
        except (ValueError, TypeError):
            payload = {}
        sent = payload.get("new_values")
        out.append(
            RejectedChange(
                mutation_id=str(row.mutation_id),
                entity=str(payload.get("entity") or ""),
                entity_id=str(payload.get("entity_id") or ""),
                op=str(payload.get("op") or ""),
                reason=str(row.reason),
                at=str(row.at),
                sent=dict(sent) if isinstance(sent, dict) else {},
            )
        )
    return out


def dismiss_rejected(writer: Writer, mutation_ids: list[str]) -> Changed:
    """Forget rejected changes the agent has dealt with (they leave the list and the count)."""
    with writer.transaction() as conn:
        conn.execute(delete(rejected_log).where(rejected_log.c.mutation_id.in_(mutation_ids)))
    return Changed(outbox=True)
