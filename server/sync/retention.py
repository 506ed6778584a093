"""Retention: purge change-log entries and tombstones older than the retention window.

After a purge `server_meta.min_retained_seq` is the lowest sequence number still in the log; a
client whose cursor is below it gets `mode: "reset"` for that scope and primes it again, keeping
its outbox (SYNC.md section 1). Default window: 180 days (ServerSettings.retention_days).
"""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, select, update

from server.db import tables as t
from server.db.engine import Database
from server.db.types import iso, utcnow


@dataclass(frozen=True, slots=True)
class PurgeReport:
    log_rows: int
    tombstones: int
    min_retained_seq: int


def purge(db: Database, retention_days: float) -> PurgeReport:
    cutoff = iso(utcnow() - timedelta(days=retention_days))
    with db.write() as conn:
        last_old = conn.execute(
            select(func.max(t.change_log.c.seq)).where(t.change_log.c.committed_at < cutoff)
        ).scalar_one_or_none()
        current_min = int(conn.execute(select(t.server_meta.c.min_retained_seq)).scalar_one())
        if last_old is None:
            return PurgeReport(0, 0, current_min)
        removed = conn.execute(delete(t.change_scope).where(t.change_scope.c.seq <= last_old)).rowcount
        conn.execute(delete(t.change_log).where(t.change_log.c.seq <= last_old))
        tombstones = 0
        for entity, table in t.ENTITY_TABLES.items():
            if entity == "user_directory":
                continue  # users are disabled, never purged: the audit log refers to them
            tombstones += conn.execute(
                delete(table).where(table.c.deleted_at.is_not(None), table.c.deleted_at < cutoff)
            ).rowcount
        new_min = max(current_min, int(last_old) + 1)
        conn.execute(update(t.server_meta).values(min_retained_seq=new_min))
    return PurgeReport(int(removed or 0), tombstones, new_min)
