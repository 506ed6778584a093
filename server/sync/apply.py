"""Applying one pushed mutation: create, append, update (the merge) and delete (SYNC.md section 2)."""

import uuid
from datetime import timedelta
from typing import Any, Final

import msgspec
from sqlalchemy import Connection, and_, insert, select

from server.auth.principal import Principal
from server.db import tables as t
from server.db.types import Timestamp, iso, parse_timestamp, utcnow
from server.sync.authz import require_record_access
from server.sync.changes import ChangeWriter
from server.sync.merge import FieldConflict, merge
from server.sync.outcome import Outcome, Rejected
from server.sync.terms import refresh_terms
from wire.phones import normalize_phone
from wire.records import ENTITIES, validate_patch, validate_record
from wire.sync import Mutation

#: SLA per priority for a new case (the server owns `sla_due_at`)
SLA_HOURS: Final = {"urgent": 4, "high": 8, "normal": 24, "low": 72}
#: stands for a base value the client did not send for a record that changed since: never equal
UNKNOWN_BASE: Final = {"$unknown_base": True}


def _timestamp_fields(entity: str) -> set[str]:
    table = t.ENTITY_TABLES[entity]
    return {c.name for c in table.columns if isinstance(c.type, Timestamp)}


def normalize_values(entity: str, values: dict[str, Any], default_region: str) -> dict[str, Any]:
    """Canonical forms: timestamps in UTC ISO, phones in E.164, emails lower-case."""
    out = dict(values)
    for name in _timestamp_fields(entity) & out.keys():
        if out[name] is not None:
            try:
                out[name] = iso(parse_timestamp(out[name]))
            except (TypeError, ValueError) as exc:
                raise Rejected(f"invalid timestamp in {name}") from exc
    return out


def _normalize_contact(values: dict[str, Any], kind: str | None, region: str) -> dict[str, Any]:
    if "value" not in values or kind is None:
        return values
    raw = str(values["value"]).strip()
    if kind == "phone":
        e164 = normalize_phone(raw, region)
        if e164 is None:
            raise Rejected(f"invalid phone number {raw[:40]!r}")
        return {**values, "value": e164}
    if kind == "email":
        if "@" not in raw or len(raw) > 320:
            raise Rejected("invalid email address")
        return {**values, "value": raw.lower()}
    return {**values, "value": raw}


def _check_uuid(value: str) -> None:
    try:
        uuid.UUID(value)
    except ValueError as exc:
        raise Rejected("entity_id must be a UUID") from exc


def _validate_whole(entity: str, values: dict[str, Any]) -> dict[str, Any]:
    try:
        record = validate_record(entity, values)
    except msgspec.ValidationError as exc:
        raise Rejected(f"invalid {entity}: {exc}") from exc
    return msgspec.structs.asdict(record)


def _validate_patch(entity: str, values: dict[str, Any]) -> dict[str, Any]:
    try:
        return validate_patch(entity, values)
    except msgspec.ValidationError as exc:
        raise Rejected(f"invalid {entity} fields: {exc}") from exc


class Applier:
    """Applies mutations of one user within one write transaction."""

    def __init__(self, w: ChangeWriter, user: Principal, client_id: str, default_region: str) -> None:
        self.w = w
        self.conn: Connection = w.conn
        self.user = user
        self.client_id = client_id
        self.region = default_region

    # ---- create / append ----

    def create(self, m: Mutation) -> Outcome:
        entity_class = ENTITIES[m.entity][1]
        if entity_class == "server_owned":
            raise Rejected(f"{m.entity} is server-owned: clients cannot create it")
        if (m.op == "append") != (entity_class == "append_only"):
            raise Rejected(f"use op {'append' if entity_class == 'append_only' else 'create'} for {m.entity}")
        _check_uuid(m.entity_id)
        values = normalize_values(m.entity, dict(m.new_values), self.region)
        values.pop("id", None)
        values = self._server_defaults(m.entity, m.entity_id, values)
        if m.entity == "contact_point":
            values = _normalize_contact(values, values.get("kind"), self.region)
        values = _validate_whole(m.entity, values)
        row = {"id": m.entity_id, **values}
        existing = self.w.get(m.entity, m.entity_id)
        if existing is not None:
            if entity_class == "append_only":
                # inserted before (ON CONFLICT DO NOTHING): appends never conflict
                return Outcome("applied", new_version=existing["version"], server_seq=self._head())
            raise Rejected("a record with this id already exists")
        self._check_parent(m.entity, row)
        require_record_access(self.w, self.user, m.entity, row)
        version, seq = self.w.insert(m.entity, row)
        conflict_ids: list[str] = []
        if m.entity == "contact_point":
            conflict_ids = self._flag_duplicates(row)
        self._after_write(m.entity, row)
        return Outcome("applied", new_version=version, server_seq=seq, conflict_ids=conflict_ids)

    def _server_defaults(self, entity: str, row_id: str, values: dict[str, Any]) -> dict[str, Any]:
        now = iso(utcnow())
        if entity == "customer":
            values["lifetime_value"] = 0.0
            values["created_at"] = now
            values.setdefault("updated_at", now)
            if "territory_id" not in values and self.user.territory_ids:
                values["territory_id"] = self.user.territory_ids[0]
        elif entity == "case":
            values.setdefault("opened_at", now)
            values.setdefault("status", "new")
            values.setdefault("owner_id", self.user.id)
            number = values.get("number")
            taken = (
                number is not None
                and self.conn.execute(
                    select(t.support_case.c.id).where(t.support_case.c.number == number)
                ).first()
                is not None
            )
            if not number or taken:
                values["number"] = f"CS-{row_id[:8].upper()}"
            # the SLA runs from when the server learns of the case: never from a client clock
            hours = SLA_HOURS.get(str(values.get("priority", "normal")), 24)
            values["sla_due_at"] = iso(utcnow() + timedelta(hours=hours))
            if not self.user.is_supervisor:
                values["owner_id"] = self.user.id
            values["resolved_at"] = None
        elif entity == "case_note":
            values.setdefault("created_at", now)
            values.setdefault("author_id", self.user.id)
            values.setdefault("author_name", self.user.display_name)
        elif entity == "offer_response":
            values.setdefault("at", now)
            values.setdefault("agent_id", self.user.id)
        return values

    def _check_parent(self, entity: str, row: dict[str, Any]) -> None:
        if entity == "customer":
            if self.w.get("territory", row["territory_id"]) is None:
                raise Rejected("unknown territory")
            return
        if entity == "case_note":
            if self.w.get("case", row["case_id"]) is None:
                raise Rejected("unknown case")
            return
        if "customer_id" in row and self.w.get("customer", row["customer_id"]) is None:
            raise Rejected("unknown customer")
        if entity == "case" and row.get("queue_id") and self.w.get("queue", row["queue_id"]) is None:
            raise Rejected("unknown queue")

    def _flag_duplicates(self, row: dict[str, Any]) -> list[str]:
        cp = t.contact_point
        others = (
            self.conn.execute(
                select(cp.c.customer_id).where(
                    and_(
                        cp.c.kind == row["kind"],
                        cp.c.value == row["value"],
                        cp.c.customer_id != row["customer_id"],
                        cp.c.deleted_at.is_(None),
                    )
                )
            )
            .scalars()
            .all()
        )
        ids = []
        for other in sorted(set(others)):
            ids.append(
                self.conflict(
                    "customer",
                    row["customer_id"],
                    "possible_duplicate",
                    kind="possible_duplicate",
                    base=None,
                    server=other,
                    client=row["value"],
                )
            )
        return ids

    def _after_write(self, entity: str, row: dict[str, Any]) -> None:
        if entity == "customer" or (entity == "contact_point" and row.get("customer_id")):
            refresh_terms(self.conn, row["id"] if entity == "customer" else row["customer_id"])

    # ---- update ----

    def update(self, m: Mutation) -> Outcome:
        if ENTITIES[m.entity][1] != "mergeable":
            raise Rejected(f"{m.entity} cannot be updated by clients")
        current = self.w.get(m.entity, m.entity_id, lock=True)
        if current is None:
            raise Rejected("unknown record")
        require_record_access(self.w, self.user, m.entity, current)
        new_values = _validate_patch(m.entity, normalize_values(m.entity, dict(m.new_values), self.region))
        base_values = normalize_values(m.entity, dict(m.base_values or {}), self.region)
        if m.entity == "contact_point":
            new_values = _normalize_contact(new_values, current["kind"], self.region)
        if current["deleted_at"] is not None:
            cid = self.conflict(
                m.entity,
                m.entity_id,
                "*",
                kind="deleted_remotely",
                base=base_values,
                server=None,
                client=new_values,
            )
            return Outcome(
                "conflict",
                new_version=current["version"],
                server_seq=self._head(),
                conflict_ids=[cid],
                reason="deleted_remotely",
            )
        result = merge(
            m.entity, current, self._complete_base(m, current, base_values, new_values), new_values
        )
        version, seq = int(current["version"]), None
        if result.applied:
            version, seq = self.w.update(
                m.entity, m.entity_id, self._with_side_effects(m.entity, current, result.applied)
            )
            self._after_write(m.entity, {**current, **result.applied})
        conflict_ids = [self._field_conflict(m.entity, m.entity_id, c) for c in result.conflicts]
        if result.logged:
            self.audit_logged(m, result.logged)
        if conflict_ids:
            outcome = "conflict"
        elif m.base_version is not None and m.base_version == current["version"]:
            outcome = "applied"
        else:
            outcome = "merged" if m.base_version is not None else "applied"
        return Outcome(
            outcome, new_version=version, server_seq=seq or self._head(), conflict_ids=conflict_ids
        )

    @staticmethod
    def _complete_base(
        m: Mutation, current: dict[str, Any], base: dict[str, Any], new_values: dict[str, Any]
    ) -> dict[str, Any]:
        """A field sent without its base value: known only if the record has not changed since."""
        unchanged = m.base_version is not None and m.base_version == current["version"]
        return {
            name: base[name] if name in base else (current.get(name) if unchanged else UNKNOWN_BASE)
            for name in new_values
        }

    def _with_side_effects(
        self, entity: str, current: dict[str, Any], applied: dict[str, Any]
    ) -> dict[str, Any]:
        if entity == "case" and "status" in applied:
            status = applied["status"]
            if status == "resolved":
                return {**applied, "resolved_at": iso(utcnow())}
            if status in ("open", "pending", "escalated") and current["status"] in ("resolved", "closed"):
                return {**applied, "resolved_at": None}
        return applied

    def _field_conflict(self, entity: str, entity_id: str, c: FieldConflict) -> str:
        return self.conflict(
            entity, entity_id, c.field, kind="field", base=c.base, server=c.server, client=c.client
        )

    # ---- delete ----

    def delete(self, m: Mutation) -> Outcome:
        if ENTITIES[m.entity][1] != "mergeable":
            raise Rejected(f"{m.entity} cannot be deleted by clients")
        current = self.w.get(m.entity, m.entity_id, lock=True)
        if current is None:
            raise Rejected("unknown record")
        require_record_access(self.w, self.user, m.entity, current)
        if current["deleted_at"] is not None:
            return Outcome("applied", new_version=current["version"], server_seq=self._head())
        if m.base_version is None or m.base_version != current["version"]:
            cid = self.conflict(
                m.entity,
                m.entity_id,
                "*",
                kind="stale_delete",
                base=m.base_version,
                server=current["version"],
                client="delete",
            )
            return Outcome(
                "conflict",
                new_version=current["version"],
                server_seq=self._head(),
                conflict_ids=[cid],
                reason="stale_delete",
            )
        version, seq = self.w.delete(m.entity, m.entity_id)
        if m.entity in ("customer", "contact_point"):
            refresh_terms(self.conn, m.entity_id if m.entity == "customer" else current["customer_id"])
        return Outcome("applied", new_version=version, server_seq=seq)

    # ---- helpers ----

    def conflict(
        self, entity: str, entity_id: str, field: str, *, kind: str, base: Any, server: Any, client: Any
    ) -> str:
        owner = self._owner_of(entity, entity_id)
        cid = str(uuid.uuid4())
        self.w.insert(
            "conflict",
            {
                "id": cid,
                "entity": entity,
                "entity_id": entity_id,
                "field": field,
                "kind": kind,
                "base_value": base,
                "server_value": server,
                "client_value": client,
                "user_id": self.user.id,
                "owner_id": owner if owner != self.user.id else None,
                "mutation_id": self.w.origin_mutation,
                "client_id": self.client_id,
                "status": "open",
                "created_at": iso(utcnow()),
            },
        )
        return cid

    def _owner_of(self, entity: str, entity_id: str) -> str | None:
        if entity == "case":
            row = self.w.get("case", entity_id)
            return row["owner_id"] if row is not None else None
        return None

    def audit_logged(self, m: Mutation, logged: dict[str, tuple[str, Any]]) -> None:
        self.conn.execute(
            insert(t.audit_log).values(
                at=iso(utcnow()),
                user_id=self.user.id,
                client_id=self.client_id,
                address=self.user.address,
                action="field_ignored",
                entity=m.entity,
                entity_id=m.entity_id,
                detail={
                    "mutation_id": m.mutation_id,
                    "fields": {k: {"why": why, "client_value": v} for k, (why, v) in logged.items()},
                },
            )
        )

    def _head(self) -> int:
        value: int = self.conn.execute(
            select(t.sync_counter.c.value).where(t.sync_counter.c.id == 1)
        ).scalar_one()
        return value
