"""Live updates: the in-process broadcaster behind SSE and the `wait_ms` long-poll.

On SQLite (one process) a committed write publishes the new head directly. On PostgreSQL the
committing transaction runs `pg_notify('liaison_poke', head)` and every server process LISTENs on
that channel, so a change made through any worker pokes the SSE clients of every worker.
"""

import asyncio
import contextlib
import json
import logging
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from server.sync.changes import POKE_CHANNEL

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Event:
    kind: str
    data: dict[str, Any]
    #: None: every subscriber; otherwise only these user ids
    users: frozenset[str] | None = None


@dataclass(eq=False)
class _Subscriber:
    user_id: str
    queue: asyncio.Queue[Event] = field(default_factory=lambda: asyncio.Queue(maxsize=256))


class Broadcaster:
    """Fans events out to SSE subscribers and wakes long-polls; safe to publish from any thread."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._subscribers: set[_Subscriber] = set()
        self._head = 0
        self._head_changed: asyncio.Condition | None = None
        self._listener: threading.Thread | None = None
        self._stop = threading.Event()
        self._wakers: set[asyncio.Future[None]] = set()
        #: long-polls waiting right now (`/metrics`, tests)
        self.waiting = 0

    @property
    def head(self) -> int:
        return self._head

    def bind(self, loop: asyncio.AbstractEventLoop, head: int) -> None:
        """Attach to the server's event loop (at startup)."""
        self._loop = loop
        self._head = head
        self._head_changed = asyncio.Condition()

    # ---- publishing (any thread) ----

    def publish_head(self, head: int) -> None:
        self.publish(Event("poke", {"head": head}), head=head)

    def publish(self, event: Event, *, head: int | None = None) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._deliver(event, head)
        else:
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(self._deliver, event, head)

    def _deliver(self, event: Event, head: int | None) -> None:
        if head is not None:
            if head <= self._head and event.kind == "poke":
                return
            self._head = max(self._head, head)
            if self._head_changed is not None:
                task = asyncio.ensure_future(self._wake())
                self._wakers.add(task)
                task.add_done_callback(self._wakers.discard)
        for sub in list(self._subscribers):
            if event.users is not None and sub.user_id not in event.users:
                continue
            if sub.queue.full():
                # a slow client: drop its oldest event; a lost poke only costs latency
                with contextlib.suppress(asyncio.QueueEmpty):
                    sub.queue.get_nowait()
            sub.queue.put_nowait(event)

    async def _wake(self) -> None:
        assert self._head_changed is not None
        async with self._head_changed:
            self._head_changed.notify_all()

    # ---- consuming (the event loop) ----

    async def wait_for_head_above(self, head: int, timeout_s: float) -> bool:
        """Wait until the head passes `head` or the timeout; True when it moved."""
        if self._head > head:
            return True
        if self._head_changed is None:
            return False
        cond = self._head_changed
        self.waiting += 1
        try:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout_s):
                    async with cond:
                        await cond.wait_for(lambda: self._head > head)
        finally:
            self.waiting -= 1
        return self._head > head

    @contextlib.asynccontextmanager
    async def subscribe(self, user_id: str) -> AsyncIterator[asyncio.Queue[Event]]:
        sub = _Subscriber(user_id)
        self._subscribers.add(sub)
        try:
            yield sub.queue
        finally:
            self._subscribers.discard(sub)

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    # ---- the head watcher: commits made outside this process (CLI, batch jobs, other servers) ----

    async def watch_head(self, read_head: Callable[[], int], interval_s: float = 1.0) -> None:
        """Poll the head and poke when it moved: catches writes no hook or NOTIFY announced.

        Runs until cancelled. On SQLite it is how back-office writes reach the SSE clients; on
        PostgreSQL it is a safety net for a dropped LISTEN connection.
        """
        while True:
            await asyncio.sleep(interval_s)
            try:
                head = await asyncio.to_thread(read_head)
            except Exception:  # the database is down: try again next round
                log.debug("head watcher could not read the head", exc_info=True)
                continue
            if head > self._head:
                self.publish_head(head)

    # ---- PostgreSQL LISTEN (a thread per process) ----

    def start_pg_listener(self, conninfo: str) -> None:
        self._stop.clear()
        self._listener = threading.Thread(
            target=self._listen, args=(conninfo,), name="pg-listen", daemon=True
        )
        self._listener.start()

    def _listen(self, conninfo: str) -> None:
        import psycopg

        while not self._stop.is_set():
            try:
                with psycopg.connect(conninfo, autocommit=True) as conn:
                    conn.execute(f"LISTEN {POKE_CHANNEL}")
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=0.25):
                            self._on_notify(note.payload)
            except Exception:  # a dropped connection: reconnect after a pause
                log.warning("LISTEN connection lost; reconnecting", exc_info=True)
                self._stop.wait(1.0)

    def _on_notify(self, payload: str) -> None:
        try:
            head = int(payload)
        except ValueError:
            try:
                event = json.loads(payload)
                self.publish(
                    Event(
                        event["kind"],
                        event["data"],
                        frozenset(event["users"]) if event.get("users") is not None else None,
                    )
                )
            except (ValueError, KeyError, TypeError):
                log.warning("ignoring a malformed notification")
            return
        self.publish_head(head)

    def stop(self) -> None:
        self._stop.set()
        if self._listener is not None:
            self._listener.join(timeout=3)
            self._listener = None
