"""The field-level three-way merge of an `update` mutation (SYNC.md section 2). Pure: no I/O.

Invariant (checked by a property test): every field the client sent ends up applied, in a conflict
record, or in `logged` (ignored by a `server` policy or overruled by a privacy policy), never lost.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from server.sync.policy import legal_transition, policy_of


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


@dataclass(frozen=True, slots=True)
class FieldConflict:
    field: str
    base: Any
    server: Any
    client: Any


@dataclass(slots=True)
class MergeResult:
    applied: dict[str, Any] = field(default_factory=dict)
    conflicts: list[FieldConflict] = field(default_factory=list)
    #: field → (why, the client's value): ignored by policy, kept in the audit log
    logged: dict[str, tuple[str, Any]] = field(default_factory=dict)
    #: fields whose value the server already had (idempotent)
    unchanged: list[str] = field(default_factory=list)


def _more_restrictive(policy: str, server: Any, client: Any) -> Any:
    if policy == "privacy_true":  # e.g. do_not_contact: True is the restrictive value
        return bool(server) or bool(client)
    return bool(server) and bool(client)  # consents: False is the restrictive value


def merge(
    entity: str, current: Mapping[str, Any], base_values: Mapping[str, Any], new_values: Mapping[str, Any]
) -> MergeResult:
    """Merge the client's changed fields into the current server row."""
    result = MergeResult()
    for name, new in new_values.items():
        srv = current.get(name)
        base = base_values.get(name, srv)
        pol = policy_of(entity, name)
        if canonical(srv) == canonical(new):
            result.unchanged.append(name)
            continue
        if pol == "server":
            result.logged[name] = ("server_owned", new)
            continue
        if pol == "state_machine":
            if legal_transition(entity, name, srv, new):
                result.applied[name] = new
            else:
                result.conflicts.append(FieldConflict(name, base, srv, new))
            continue
        if canonical(srv) == canonical(base):
            result.applied[name] = new
            continue
        if pol == "client":
            result.applied[name] = new
        elif pol in ("privacy_true", "privacy_false"):
            kept = _more_restrictive(pol, srv, new)
            if canonical(kept) != canonical(srv):
                result.applied[name] = kept
            if canonical(kept) != canonical(new):
                result.logged[name] = ("privacy_more_restrictive_kept", new)
        else:
            result.conflicts.append(FieldConflict(name, base, srv, new))
    return result
