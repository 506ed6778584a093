"""What an in-process simulator reads from the server's database: the phone queues and the
customers' phone numbers (standalone, the CLI takes them as options instead)."""

from typing import Final

from sqlalchemy import select

from server.db import tables as t
from server.db.engine import Database

#: at most this many known numbers are loaded (a seeded million customers have more)
MAX_KNOWN: Final = 20_000


def numbers_from_database(db: Database, limit: int = MAX_KNOWN) -> list[str]:
    """Phone contact points of live customers, the first `limit` by id (deterministic)."""
    cp = t.contact_point
    query = (
        select(cp.c.value)
        .where(cp.c.kind == "phone", cp.c.deleted_at.is_(None))
        .order_by(cp.c.id)
        .limit(limit)
    )
    with db.read() as conn:
        return [str(value) for (value,) in conn.execute(query)]


def phone_queues_from_database(db: Database) -> list[tuple[str, str]]:
    """(id, name) of the live phone queues, by name then id."""
    q = t.queue
    query = (
        select(q.c.id, q.c.name)
        .where(q.c.channel == "phone", q.c.deleted_at.is_(None))
        .order_by(q.c.name, q.c.id)
    )
    with db.read() as conn:
        return [(str(i), str(n)) for i, n in conn.execute(query)]
