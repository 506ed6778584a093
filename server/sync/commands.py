"""Commands: the only way clients change server-owned state (SYNC.md sections 2 and 6).

A command mutation has `op: "command"`, the target in `entity`/`entity_id`, and its name and
arguments in `new_values`: `{"name": "resolve_conflict", "value": …}`.

| name | target | arguments | effect |
|---|---|---|---|
| `resolve_conflict` | conflict | `action`: `use_value` (with `value`), `keep_server`, `restore`, `dismiss` | applies the chosen value like an update whose base is the conflict's server value; the conflict is closed; a changed server value makes a new conflict (never a loop) |
| `escalate` | case | `reason` | status → escalated (when legal), priority at least high, SLA due within 4 h |
| `request_reassign` | case | `queue_id` and/or `owner_id` | supervisors and admins move any case; agents may take a case themselves or move it between their queues |
| `restore` | any mergeable | — | undeletes a record (the answer to a `deleted_remotely` conflict) |
| `reassign_territory` | customer | `territory_id` | supervisors and admins move a customer (and its history) to another territory |
"""

from datetime import timedelta
from typing import Any

from server.db.types import iso, parse_timestamp, utcnow
from server.sync.apply import Applier
from server.sync.authz import require_record_access
from server.sync.merge import merge
from server.sync.outcome import Outcome, Rejected
from server.sync.policy import legal_transition
from wire.records import ENTITIES
from wire.sync import Mutation

PRIORITY_RANK = {"low": 0, "normal": 1, "high": 2, "urgent": 3}


def run_command(a: Applier, m: Mutation) -> Outcome:
    name = m.new_values.get("name")
    handler = _COMMANDS.get(str(name))
    if handler is None:
        raise Rejected(f"unknown command {str(name)[:40]!r}")
    return handler(a, m)


def _target(a: Applier, m: Mutation, entity: str) -> dict[str, Any]:
    if m.entity != entity:
        raise Rejected(f"{m.new_values.get('name')} applies to {entity}, not {m.entity}")
    row = a.w.get(entity, m.entity_id, lock=True)
    if row is None:
        raise Rejected(f"unknown {entity}")
    require_record_access(a.w, a.user, entity, row)
    return row


def _resolve_conflict(a: Applier, m: Mutation) -> Outcome:
    conflict = _target(a, m, "conflict")
    if conflict["status"] != "open":
        return Outcome(
            "applied",
            new_version=conflict["version"],
            server_seq=a._head(),
            reason=f"already {conflict['status']}",
        )
    action = m.new_values.get("action", "use_value")
    entity, entity_id, field = conflict["entity"], conflict["entity_id"], conflict["field"]
    new_conflicts: list[str] = []
    resolution: dict[str, Any] = {"action": action, "by": a.user.id}
    if action == "use_value":
        if "value" not in m.new_values or field in ("*", "possible_duplicate"):
            raise Rejected("use_value needs a value and a field conflict")
        value = m.new_values["value"]
        record = a.w.get(entity, entity_id, lock=True)
        if record is None or record["deleted_at"] is not None:
            raise Rejected("the record no longer exists; restore it first")
        patch = {field: value}
        from server.sync.apply import _validate_patch

        patch = _validate_patch(entity, patch)
        result = merge(entity, record, {field: conflict["server_value"]}, patch)
        if result.applied:
            a.w.update(entity, entity_id, result.applied)
            a._after_write(entity, {**record, **result.applied})
        new_conflicts = [a._field_conflict(entity, entity_id, c) for c in result.conflicts]
        resolution["value"] = value
    elif action == "restore":
        if conflict["kind"] != "deleted_remotely":
            raise Rejected("restore answers a deleted_remotely conflict")
        a.w.restore(entity, entity_id)
    elif action not in ("keep_server", "dismiss"):
        raise Rejected(f"unknown action {str(action)[:40]!r}")
    if new_conflicts:
        resolution["superseded_by"] = new_conflicts
    version, seq = a.w.update(
        "conflict",
        conflict["id"],
        {
            "status": "dismissed" if action == "dismiss" else "resolved",
            "resolution": resolution,
            "resolved_at": iso(utcnow()),
        },
    )
    if new_conflicts:
        return Outcome("conflict", new_version=version, server_seq=seq, conflict_ids=new_conflicts)
    return Outcome("applied", new_version=version, server_seq=seq)


def _escalate(a: Applier, m: Mutation) -> Outcome:
    case = _target(a, m, "case")
    if not legal_transition("case", "status", case["status"], "escalated"):
        cid = a.conflict(
            "case",
            case["id"],
            "status",
            kind="field",
            base=case["status"],
            server=case["status"],
            client="escalated",
        )
        return Outcome(
            "conflict",
            new_version=case["version"],
            server_seq=a._head(),
            conflict_ids=[cid],
            reason=f"cannot escalate a {case['status']} case",
        )
    changes: dict[str, Any] = {"status": "escalated"}
    if PRIORITY_RANK.get(case["priority"], 1) < PRIORITY_RANK["high"]:
        changes["priority"] = "high"
    due = iso(utcnow() + timedelta(hours=4))
    if case["sla_due_at"] is None or parse_timestamp(case["sla_due_at"]) > parse_timestamp(due):
        changes["sla_due_at"] = due
    version, seq = a.w.update("case", case["id"], changes)
    return Outcome("applied", new_version=version, server_seq=seq)


def _request_reassign(a: Applier, m: Mutation) -> Outcome:
    case = _target(a, m, "case")
    changes: dict[str, Any] = {}
    if "queue_id" in m.new_values:
        queue_id = m.new_values["queue_id"]
        if queue_id is not None and a.w.get("queue", str(queue_id)) is None:
            raise Rejected("unknown queue")
        if not a.user.is_supervisor and queue_id not in a.user.queue_ids:
            raise Rejected("forbidden: agents move cases only between their own queues")
        changes["queue_id"] = queue_id
    if "owner_id" in m.new_values:
        owner = m.new_values["owner_id"]
        if owner is not None and a.w.get("user_directory", str(owner)) is None:
            raise Rejected("unknown user")
        if not a.user.is_supervisor and owner != a.user.id:
            raise Rejected("forbidden: agents may only take a case themselves")
        changes["owner_id"] = owner
    if not changes:
        raise Rejected("request_reassign needs queue_id or owner_id")
    version, seq = a.w.update("case", case["id"], changes)
    return Outcome("applied", new_version=version, server_seq=seq)


def _restore(a: Applier, m: Mutation) -> Outcome:
    if m.entity not in ENTITIES or ENTITIES[m.entity][1] != "mergeable":
        raise Rejected("only mergeable records can be restored")
    row = _target(a, m, m.entity)
    if row["deleted_at"] is None:
        return Outcome("applied", new_version=row["version"], server_seq=a._head())
    version, seq = a.w.restore(m.entity, m.entity_id)
    a._after_write(m.entity, row)
    return Outcome("applied", new_version=version, server_seq=seq)


def _reassign_territory(a: Applier, m: Mutation) -> Outcome:
    if not a.user.is_supervisor:
        raise Rejected("forbidden: only supervisors and admins move customers between territories")
    customer = _target(a, m, "customer")
    territory = str(m.new_values.get("territory_id", ""))
    if a.w.get("territory", territory) is None:
        raise Rejected("unknown territory")
    version, seq = a.w.update("customer", customer["id"], {"territory_id": territory})
    a._after_write("customer", {**customer, "territory_id": territory})
    return Outcome("applied", new_version=version, server_seq=seq)


_COMMANDS = {
    "resolve_conflict": _resolve_conflict,
    "escalate": _escalate,
    "request_reassign": _request_reassign,
    "restore": _restore,
    "reassign_territory": _reassign_territory,
}
