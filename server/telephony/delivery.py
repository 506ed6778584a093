"""Targeted live events (SSE) that reach the user whichever server process holds their stream.

On SQLite (one process) the events are published to the broadcaster after the transaction
commits. On PostgreSQL they ride `pg_notify` inside the transaction, so they are delivered only if
it commits, and every process's LISTEN thread hands them to its own subscribers.
"""

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, text

from server.events import Broadcaster, Event
from server.sync.changes import POKE_CHANNEL


@dataclass
class Outbox:
    """Live events gathered during a write transaction; `flush` after the commit."""

    postgres: bool
    pending: list[Event] = field(default_factory=list)

    def add(self, conn: Connection, kind: str, data: dict[str, Any], users: frozenset[str] | None) -> None:
        if self.postgres:
            payload = {"kind": kind, "data": data, "users": sorted(users) if users is not None else None}
            conn.execute(text("SELECT pg_notify(:c, :p)"), {"c": POKE_CHANNEL, "p": json.dumps(payload)})
        else:
            self.pending.append(Event(kind, data, users))

    def flush(self, events: Broadcaster) -> None:
        for event in self.pending:
            events.publish(event)
        self.pending.clear()
