"""Keeping in step continuously (SYNC.md §3): SSE pokes, safety pulls, backoff, the stall watchdog.

- an SSE listener thread reads `api.events()`; a `poke` whose head is past the last head pulled
  asks for a cycle, debounced by 200 ms; (re)connecting after a failure asks for one at once, so
  pending pushes are retried on reconnect and not only on the next local write;
- safety cycles every 60 s while SSE is down, every 5 min while it is up;
- a failed cycle is retried after a full-jitter backoff (1 s base, 60 s cap); local edits do not
  cut a backoff short, pokes and reconnects do (the server is evidently reachable);
- the watchdog aborts a cycle that made no progress for 60 s while working, and makes the
  listener reconnect.
"""

import contextlib
import logging
import random
import threading
from typing import TYPE_CHECKING, Final

from desktop.services.api import HEARTBEAT
from desktop.services.api_errors import ApiError

if TYPE_CHECKING:
    from desktop.services.sync import SyncEngine

log = logging.getLogger(__name__)

DEBOUNCE_S: Final = 0.2
SAFETY_SSE_DOWN_S: Final = 60.0
SAFETY_SSE_UP_S: Final = 300.0
STALL_S: Final = 60.0
BACKOFF_BASE_S: Final = 1.0
BACKOFF_CAP_S: Final = 60.0
#: the longest single wait of the loop, so that `stop_event` is noticed promptly
MAX_WAIT_S: Final = 1.0
WATCHDOG_TICK_S: Final = 5.0


class FullJitter:
    """Exponential backoff with full jitter: uniform in [0, min(cap, base · 2^(failures-1))]."""

    def __init__(self, rng: random.Random, base: float = BACKOFF_BASE_S, cap: float = BACKOFF_CAP_S) -> None:
        self.rng = rng
        self.base = base
        self.cap = cap

    def ceiling(self, failures: int) -> float:
        return min(self.cap, self.base * 2.0 ** max(failures - 1, 0))

    def delay(self, failures: int) -> float:
        return self.rng.uniform(0.0, self.ceiling(failures))


class SseListener:
    """Reads the event stream on a daemon thread and turns pokes into sync requests."""

    def __init__(self, engine: "SyncEngine", stop: threading.Event) -> None:
        self.engine = engine
        self.stop = stop
        self.up = False
        self._reconnect = threading.Event()
        self._backoff = FullJitter(engine.rng)
        self._thread = threading.Thread(target=self._run, name="liaison-sse", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def reconnect(self) -> None:
        self._reconnect.set()

    def _run(self) -> None:
        failures = 0
        while not self.stop.is_set():
            try:
                self._listen(reconnected=failures > 0)
                failures = 0
            except ApiError as error:
                failures += 1
                log.info("event stream down (%s); reconnecting", error.message)
            self.up = False
            if failures:
                self.stop.wait(self._backoff.delay(failures))

    def _listen(self, *, reconnected: bool) -> None:
        self._reconnect.clear()
        with contextlib.closing(self.engine.api.events()) as events:
            for event in events:
                if not self.up:
                    self.up = True
                    if reconnected:
                        self.engine.request_sync(reconnected=True)
                if event.event == HEARTBEAT:
                    pass  # alive; below: stop when asked even if nothing happens
                elif event.event == "poke":
                    head = event.data.get("head")
                    if isinstance(head, int):
                        self.engine.request_sync(poke_head=head)
                if self.stop.is_set() or self._reconnect.is_set():
                    return


class LiveLoop:
    """`SyncEngine.run_forever`: the loop on the caller's thread, the listener and watchdog beside it."""

    def __init__(self, engine: "SyncEngine", stop: threading.Event) -> None:
        self.engine = engine
        self.stop = stop
        self.sse = SseListener(engine, stop)
        self.backoff = FullJitter(engine.rng)
        self.failures = 0
        self.next_at = engine.clock()

    def due(self) -> float:
        """When the next cycle should start."""
        engine = self.engine
        due = self.next_at
        if engine.poke_requested_at is not None:
            due = min(due, engine.poke_requested_at + DEBOUNCE_S)
        if engine.edit_requested_at is not None and self.failures == 0:
            due = min(due, engine.edit_requested_at + DEBOUNCE_S)
        return due

    def cycle(self) -> None:
        """Run one cycle now and plan the next one."""
        engine = self.engine
        engine.take_requests()
        try:
            engine.run_once()
        except Exception as error:
            self.failures += 1
            delay = self.backoff.delay(self.failures)
            if not isinstance(error, ApiError):
                log.exception("sync cycle failed unexpectedly")
                engine.board.update(state="error", last_error=f"unexpected failure: {type(error).__name__}")
            self.next_at = engine.clock() + delay
            return
        self.failures = 0
        self.next_at = engine.clock() + (SAFETY_SSE_UP_S if self.sse.up else SAFETY_SSE_DOWN_S)

    def check_stall(self) -> bool:
        """Abort a cycle that has not progressed for `STALL_S` (and reconnect the listener)."""
        engine = self.engine
        if engine.busy and engine.clock() - engine.last_progress > STALL_S:
            log.warning("sync stalled for over %.0f s: aborting and reconnecting", STALL_S)
            engine.abort()
            self.sse.reconnect()
            return True
        return False

    def _watchdog(self) -> None:
        while not self.stop.wait(WATCHDOG_TICK_S):
            self.check_stall()

    def step(self) -> None:
        """One turn of the loop: a cycle if one is due, else a wait until it is (at most 1 s)."""
        now = self.engine.clock()
        due = self.due()
        if now >= due:
            self.cycle()
        else:
            self.engine.sleep(min(due - now, MAX_WAIT_S))

    def run(self) -> None:
        self.sse.start()
        watchdog = threading.Thread(target=self._watchdog, name="liaison-sync-watchdog", daemon=True)
        watchdog.start()
        while not self.stop.is_set():
            self.step()
        self.engine.wake.set()
