"""`queue_snapshot` to supervisors: at most once a second, and only when something changed.

"Changed" means the telephony event log grew (every state change, including an agent's own
`PUT /agents/me/state` and the call controls, is an event there), which every server process can
see in the database; so each process publishes to its own SSE subscribers and none needs to hear
from the others. The time-driven drift of oldest wait between events is the client's to tick
from the snapshot's `at`. A build that takes longer than a fifth of a second spaces the next one
out (building may use at most a fifth of the time), so a huge day cannot starve intake.
"""

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select

from server.db import telephony_tables as tt
from server.db.engine import Database
from server.events import Broadcaster, Event
from server.telephony.loader import supervisor_ids
from server.telephony.metrics import DEFAULT_ROLLING_S
from server.telephony.snapshot import queue_snapshot
from wire.telephony import SSE_QUEUE_SNAPSHOT

log = logging.getLogger(__name__)

#: the shortest time between two snapshots
MIN_INTERVAL_S = 1.0
#: building snapshots may take at most this share of the time (a slow build spaces them out)
MAX_DUTY = 0.2


def log_position(db: Database) -> int:
    """The newest event's sequence number: grows with every accepted telephony event."""
    with db.read() as conn:
        return int(conn.execute(select(func.coalesce(func.max(tt.telephony_event.c.seq), 0))).scalar_one())


@dataclass
class SnapshotPublisher:
    db: Database
    settings: object
    events: Broadcaster
    #: monotonic seconds (injected in tests)
    clock: Callable[[], float]
    #: the wall clock of the snapshot's `now`
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    rolling_s: int = DEFAULT_ROLLING_S
    min_interval_s: float = MIN_INTERVAL_S
    _position: int = -1
    _last_sent: float | None = None
    _gap_s: float = MIN_INTERVAL_S
    #: snapshots published so far (tests, /metrics)
    sent: int = 0

    def poll(self) -> bool:
        """Publish a snapshot if the log moved and the last one is at least `min_interval_s` old."""
        if self._last_sent is not None and self.clock() - self._last_sent < self._gap_s:
            return False
        if self.events.subscriber_count == 0:
            return False  # nobody listens: the first snapshot goes out when someone does
        position = log_position(self.db)
        if position == self._position:
            return False
        began = self.clock()
        with self.db.read() as conn:
            audience = supervisor_ids(conn)
            snapshot = queue_snapshot(conn, self.settings, self.now(), self.rolling_s)
        self._position = position
        self._last_sent = self.clock()
        self._gap_s = max(self.min_interval_s, (self._last_sent - began) / MAX_DUTY)
        self.sent += 1
        if audience:
            self.events.publish(Event(SSE_QUEUE_SNAPSHOT, snapshot.model_dump(mode="json"), audience))
        return True

    async def run(self) -> None:
        """Poll every `min_interval_s` until cancelled."""
        while True:
            await asyncio.sleep(self.min_interval_s)
            try:
                await asyncio.to_thread(self.poll)
            except Exception:
                log.warning("queue snapshot failed; trying again", exc_info=True)
