"""The one write path for synced rows: domain row, version, change log and scopes in one transaction.

Every write to a synced table goes through `ChangeWriter`, inside a `Database.write()` transaction.
The first change in a transaction takes the `sync_counter` row lock (`UPDATE … RETURNING`), which
is held to commit, so change-log sequence numbers rise in commit order on PostgreSQL as on SQLite
(SYNC.md section 1). A row that moves between scopes (a customer to another territory, a case
closed or moved to another queue) writes `scope_out` to the scopes it left and an upsert to the
scopes it joined, for itself and for the rows whose scopes follow it.
"""

from collections.abc import Iterable, Mapping
from typing import Any, Final

from sqlalchemy import Connection, insert, select, text, update

from server.db import tables as t
from server.db.types import iso, utcnow
from server.sync.scopes import MembershipContext, dependents, memberships

#: fields whose change can move a row, and its dependents, between scopes
SCOPING_FIELDS: Final[dict[str, frozenset[str]]] = {
    "customer": frozenset({"territory_id"}),
    "case": frozenset({"status", "queue_id", "owner_id", "customer_id"}),
}
POKE_CHANNEL: Final = "liaison_poke"


class RowMissing(LookupError):
    pass


class ChangeWriter:
    """Writes synced rows and their change-log entries within one open write transaction."""

    def __init__(
        self, conn: Connection, *, origin_client: str | None = None, origin_mutation: str | None = None
    ) -> None:
        self.conn = conn
        self.origin_client = origin_client
        self.origin_mutation = origin_mutation
        self.ctx = MembershipContext(conn)
        self.tx_group: int | None = None
        self.last_seq: int | None = None
        self._now = iso(utcnow())
        self._postgres = conn.dialect.name == "postgresql"

    # ---- the sequence and the log ----

    def _next_seq(self) -> int:
        seq: int = self.conn.execute(
            text("UPDATE sync_counter SET value = value + 1 WHERE id = 1 RETURNING value")
        ).scalar_one()
        if self.tx_group is None:
            self.tx_group = seq
        self.last_seq = seq
        return seq

    def log(self, entity: str, entity_id: str, version: int, op: str, scopes: Iterable[str]) -> int:
        seq = self._next_seq()
        assert self.tx_group is not None
        self.conn.execute(
            insert(t.change_log).values(
                seq=seq,
                tx_group=self.tx_group,
                entity=entity,
                entity_id=entity_id,
                version=version,
                op=op,
                origin_client=self.origin_client,
                origin_mutation=self.origin_mutation,
                committed_at=self._now,
            )
        )
        rows = [{"scope": s, "seq": seq, "tx_group": self.tx_group} for s in sorted(set(scopes))]
        if rows:
            self.conn.execute(insert(t.change_scope), rows)
        self._mark_head(seq)
        return seq

    def _mark_head(self, seq: int) -> None:
        self.conn.info["liaison_head"] = seq

    def notify(self) -> None:
        """On PostgreSQL, queue the poke; NOTIFY is delivered only if and when this commits."""
        if self._postgres and self.last_seq is not None:
            self.conn.execute(
                text("SELECT pg_notify(:channel, :payload)"),
                {"channel": POKE_CHANNEL, "payload": str(self.last_seq)},
            )

    # ---- rows ----

    def get(self, entity: str, row_id: str, *, lock: bool = False) -> dict[str, Any] | None:
        table = t.ENTITY_TABLES[entity]
        query = select(table).where(table.c.id == row_id)
        if lock and self._postgres:
            query = query.with_for_update()
        row = self.conn.execute(query).first()
        return dict(row._mapping) if row is not None else None

    def insert(self, entity: str, values: Mapping[str, Any]) -> tuple[int, int]:
        """Insert a new row (version 1); returns (version, seq)."""
        table = t.ENTITY_TABLES[entity]
        row = dict(values)
        row.setdefault("updated_at", self._now)
        row["version"] = 1
        row["last_modified_seq"] = 0
        self.conn.execute(insert(table).values(**row))
        self.ctx.forget(entity, row["id"])
        seq = self.log(entity, row["id"], 1, "upsert", memberships(self.ctx, entity, row))
        self.conn.execute(update(table).where(table.c.id == row["id"]).values(last_modified_seq=seq))
        return 1, seq

    def update(self, entity: str, row_id: str, changes: Mapping[str, Any]) -> tuple[int, int]:
        """Apply changed fields to a row, bump its version; returns (version, seq)."""
        table = t.ENTITY_TABLES[entity]
        before = self.get(entity, row_id, lock=True)
        if before is None:
            raise RowMissing(f"{entity} {row_id}")
        rescoping = bool(SCOPING_FIELDS.get(entity, frozenset()) & set(changes))
        old_scopes = memberships(self.ctx, entity, before)
        old_deps = self._dependent_scopes(entity, row_id) if rescoping else {}
        version = int(before["version"]) + 1
        after = {**before, **changes, "version": version, "updated_at": self._now}
        self.conn.execute(
            update(table).where(table.c.id == row_id).values(**changes, version=version, updated_at=self._now)
        )
        self.ctx.forget(entity, row_id)
        new_scopes = memberships(self.ctx, entity, after)
        if old_scopes - new_scopes:
            self.log(entity, row_id, version, "scope_out", old_scopes - new_scopes)
        seq = self.log(entity, row_id, version, "upsert", new_scopes)
        self.conn.execute(update(table).where(table.c.id == row_id).values(last_modified_seq=seq))
        if rescoping:
            self._rescope_dependents(entity, row_id, old_deps)
        return version, seq

    def delete(self, entity: str, row_id: str) -> tuple[int, int]:
        """Soft-delete a row (a tombstone); returns (version, seq)."""
        table = t.ENTITY_TABLES[entity]
        before = self.get(entity, row_id, lock=True)
        if before is None:
            raise RowMissing(f"{entity} {row_id}")
        version = int(before["version"]) + 1
        seq = self.log(entity, row_id, version, "delete", memberships(self.ctx, entity, before))
        self.conn.execute(
            update(table)
            .where(table.c.id == row_id)
            .values(version=version, deleted_at=self._now, updated_at=self._now, last_modified_seq=seq)
        )
        return version, seq

    def restore(self, entity: str, row_id: str) -> tuple[int, int]:
        """Undo a soft delete (the `restore` action of a deleted_remotely conflict)."""
        table = t.ENTITY_TABLES[entity]
        before = self.get(entity, row_id, lock=True)
        if before is None:
            raise RowMissing(f"{entity} {row_id}")
        version = int(before["version"]) + 1
        seq = self.log(entity, row_id, version, "upsert", memberships(self.ctx, entity, before))
        self.conn.execute(
            update(table)
            .where(table.c.id == row_id)
            .values(version=version, deleted_at=None, updated_at=self._now, last_modified_seq=seq)
        )
        return version, seq

    # ---- dependents that move with their parent ----

    def _dependent_scopes(self, entity: str, row_id: str) -> dict[tuple[str, str], set[str]]:
        return {
            (dep_entity, dep["id"]): memberships(self.ctx, dep_entity, dep)
            for dep_entity, dep in dependents(self.conn, entity, row_id)
        }

    def _rescope_dependents(self, entity: str, row_id: str, old: dict[tuple[str, str], set[str]]) -> None:
        for dep_entity, dep in dependents(self.conn, entity, row_id):
            self.ctx.forget(dep_entity, dep["id"])
        for dep_entity, dep in dependents(self.conn, entity, row_id):
            new = memberships(self.ctx, dep_entity, dep)
            before = old.get((dep_entity, dep["id"]), set())
            if before - new:
                self.log(dep_entity, dep["id"], dep["version"], "scope_out", before - new)
            if new - before and dep["deleted_at"] is None:
                self.log(dep_entity, dep["id"], dep["version"], "upsert", new - before)


def current_head(conn: Connection) -> int:
    head: int = conn.execute(select(t.sync_counter.c.value).where(t.sync_counter.c.id == 1)).scalar_one()
    return head
