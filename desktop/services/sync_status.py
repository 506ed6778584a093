"""What the sync engine reports: its status value (SYNC.md §4.8) and the board that announces it.

The UI observes the engine through callbacks (the GUI turns them into Qt signals on its side):
- `on_status(SyncStatus)` after every change of state or counts;
- `on_changed(Changed)` for every applied page and every push result that changed something;
- `on_rejected(Rejection)` once per mutation the server (or a rejected dependency) refused.
"""

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal

from desktop.services.store.changed import Changed
from desktop.services.store.database import Cache

log = logging.getLogger(__name__)

SyncStateName = Literal["offline", "priming", "syncing", "idle", "error"]


@dataclass(frozen=True)
class SyncStatus:
    state: SyncStateName = "idle"
    #: priming progress, 0-100 (only meaningful while `state == "priming"`)
    percent: int = 0
    #: mutations not yet acknowledged by the server (pending or in flight)
    pending: int = 0
    #: open conflict records
    conflicts: int = 0
    #: mutations in the rejected log
    rejected: int = 0
    #: ISO time of the last complete cycle
    last_success: str | None = None
    #: the last failure, in words for the user (None after a success)
    last_error: str | None = None
    #: ISO time the integrity check last compared a scope's checksum with the server's
    last_verified: str | None = None
    #: scopes the last integrity check found different from the server and downloaded again
    repaired: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rejection:
    """A mutation that will never be applied: it is in the rejected log with `reason`."""

    mutation_id: str
    entity: str
    entity_id: str
    op: str
    reason: str


StatusCallback = Callable[[SyncStatus], None]
ChangedCallback = Callable[[Changed], None]
RejectedCallback = Callable[[Rejection], None]


class StatusBoard:
    """Holds the current `SyncStatus` and calls the listeners; safe to use from several threads."""

    def __init__(
        self,
        cache: Cache,
        on_status: StatusCallback | None = None,
        on_changed: ChangedCallback | None = None,
        on_rejected: RejectedCallback | None = None,
    ) -> None:
        self._cache = cache
        self._lock = threading.Lock()
        self._status = SyncStatus()
        self._on_status = on_status
        self._on_changed = on_changed
        self._on_rejected = on_rejected

    @property
    def status(self) -> SyncStatus:
        with self._lock:
            return self._status

    def update(self, **fields: object) -> SyncStatus:
        """Change some fields, refresh the counts from the cache, and announce the result."""
        from desktop.services.store.queries import outbox_counts  # with SQLAlchemy, after the first paint

        with self._cache.read() as conn:
            counts = outbox_counts(conn)
        with self._lock:
            self._status = replace(
                self._status,
                pending=counts.pending,
                conflicts=counts.conflicts,
                rejected=counts.rejected,
                **fields,  # type: ignore[arg-type]
            )
            status = self._status
        if self._on_status is not None:
            self._on_status(status)
        return status

    def changed(self, value: Changed) -> None:
        if value and self._on_changed is not None:
            self._on_changed(value)

    def rejected(self, rejections: list[Rejection]) -> None:
        for item in rejections:
            log.warning(
                "mutation %s (%s %s %s) rejected: %s",
                item.mutation_id,
                item.op,
                item.entity,
                item.entity_id,
                item.reason,
            )
            if self._on_rejected is not None:
                self._on_rejected(item)
