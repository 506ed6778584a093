"""Keeping in step continuously (SYNC.md §3): SSE pokes, the long-poll fallback, safety pulls,
backoff and the stall watchdog.

- **Requests run at once, coalesced.** A sync request (a local edit, a poke whose head is past the
  last head pulled, a reconnect) starts a cycle at once when the loop is idle; requests arriving
  while a cycle runs coalesce into exactly one follow-up cycle; cycles start at least
  `min_interval_s` (100 ms) apart, which bounds a storm. A poke whose head the last complete pull
  already reached starts nothing.
- **SSE**: a listener thread reads `api.events()`; pokes become requests; (re)connecting after a
  failure asks for a cycle at once, so pending pushes are retried on reconnect.
- **Long-poll fallback**: while the event stream is not delivering (down, refused, or a proxy
  that buffers it), a second thread long-polls the primed scopes (`Puller.watch`, `wait_ms`
  25 s) and asks for a cycle when the server reports something. It waits for that cycle before
  polling again, never polls while SSE is up (and is hung up when SSE comes back), and backs off
  on errors. The API client's read timeout for it is `read_timeout_s + wait_ms`.
- **Safety cycles** every 60 s while SSE is down, every 5 min while it is up (counted from the
  end of the last cycle).
- **Backoff**: a failed cycle is retried after a full-jitter delay (1 s base, 60 s cap); local
  edits do not cut a backoff short, pokes, long-poll news and reconnects do (the server is
  evidently reachable).
- **Stall watchdog**: a cycle that made no progress (no page applied, no push recorded) for
  `stall_s` (55 s, checked every 5 s: aborted within 60 s) is aborted: the engine's abort flag is
  set and the connection the cycle is blocked on is hung up (`ApiClient.interrupt`), so it fails
  at once instead of waiting for read timeouts and retries; the loop then backs off and retries.
- **Stop**: `stop_event` ends the loop within `max_wait_s`; the listener's and the long-poll's
  connections are hung up so that their threads end too.

All durations are in `LiveTimings`, injectable so that tests need no real minute-long waits.
"""

import contextlib
import functools
import logging
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from desktop.services.api import HEARTBEAT, ServerEvent
from desktop.services.api_errors import ApiError, EpochReset

if TYPE_CHECKING:
    from desktop.services.sync import SyncEngine

log = logging.getLogger(__name__)

MIN_INTERVAL_S: Final = 0.1
SAFETY_SSE_DOWN_S: Final = 60.0
SAFETY_SSE_UP_S: Final = 300.0
STALL_S: Final = 55.0
WATCHDOG_TICK_S: Final = 5.0
BACKOFF_BASE_S: Final = 1.0
BACKOFF_CAP_S: Final = 60.0
#: the longest single wait of the loop, so that `stop_event` is noticed promptly
MAX_WAIT_S: Final = 1.0
LONG_POLL_MS: Final = 25_000
#: how long `run` waits for its helper threads after hanging them up
JOIN_S: Final = 5.0


@dataclass(frozen=True)
class LiveTimings:
    """The live loop's durations (seconds of the engine's clock unless said otherwise)."""

    #: the shortest gap between the starts of two cycles (the leading-edge debounce)
    min_interval_s: float = MIN_INTERVAL_S
    safety_sse_down_s: float = SAFETY_SSE_DOWN_S
    safety_sse_up_s: float = SAFETY_SSE_UP_S
    stall_s: float = STALL_S
    #: real seconds between two looks of the watchdog
    watchdog_tick_s: float = WATCHDOG_TICK_S
    backoff_base_s: float = BACKOFF_BASE_S
    backoff_cap_s: float = BACKOFF_CAP_S
    max_wait_s: float = MAX_WAIT_S
    #: the long-poll's `wait_ms`; None: no long-poll fallback (safety pulls only)
    long_poll_ms: int | None = LONG_POLL_MS


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

    def __init__(self, loop: "LiveLoop") -> None:
        self.loop = loop
        self.up = False
        #: pokes received (all streams), for status and tests
        self.pokes = 0
        self._backoff = FullJitter(loop.engine.rng, loop.timings.backoff_base_s, loop.timings.backoff_cap_s)
        self.thread = threading.Thread(target=self._run, name="liaison-sse", daemon=True)

    def _run(self) -> None:
        failures = 0
        stop = self.loop.stop
        while not stop.is_set():
            try:
                self._listen(reconnected=failures > 0)
                failures = 0
            except ApiError as error:
                failures += 1
                log.info("event stream down (%s); reconnecting", error.message)
            self._set_up(False)
            if failures:
                stop.wait(self._backoff.delay(failures))

    def _set_up(self, up: bool) -> None:
        if up != self.up:
            self.up = up
            self.loop.sse_changed(up)

    def _listen(self, *, reconnected: bool) -> None:
        with contextlib.closing(self.loop.engine.api.events()) as events:
            for event in events:
                if not self.up:
                    self._set_up(True)
                    if reconnected:
                        self.loop.resync("reconnect")
                if event.event == "poke":
                    head = event.data.get("head")
                    if isinstance(head, int):
                        self.pokes += 1
                        self.loop.poke(head, "poke")
                elif event.event != HEARTBEAT:
                    self._hand_on(event)
                # heartbeats need nothing: every event is a chance to notice the stop
                if self.loop.stop.is_set():
                    return

    def _hand_on(self, event: ServerEvent) -> None:
        """Give a contact-centre event to the engine's `on_event`; its failure must not end SSE."""
        handler = self.loop.engine.on_event
        if handler is None:
            return
        try:
            handler(event)
        except Exception:
            log.exception("handling the server event %r failed", event.event)


class LongPoller:
    """The fallback while SSE is not delivering: long-polls and asks for a cycle on news."""

    def __init__(self, loop: "LiveLoop", wait_ms: int) -> None:
        self.loop = loop
        self.wait_ms = wait_ms
        #: long-polls sent, for status and tests
        self.polls = 0
        self.polling = False
        timings = loop.timings
        self._backoff = FullJitter(
            random.Random(loop.engine.rng.random()), timings.backoff_base_s, timings.backoff_cap_s
        )
        self.thread = threading.Thread(target=self._run, name="liaison-long-poll", daemon=True)

    def _ready(self, need: int) -> bool:
        """Poll now: SSE is not delivering and `need` cycles have completed."""
        return not self.loop.sse.up and self.loop.cycles >= need

    def _run(self) -> None:
        loop = self.loop
        failures = 0
        need = 1  # cycles completed before the next poll: the first cycle primes the scopes
        while loop.wait_until(functools.partial(self._ready, need)):
            started = time.monotonic()
            try:
                self.polling = True
                self.polls += 1
                watched = loop.engine.puller.watch(self.wait_ms)
            except EpochReset:
                loop.resync("long_poll")
                need = loop.cycles + 1
                continue
            except ApiError as error:
                if loop.stop.is_set() or loop.sse.up:
                    continue  # hung up on purpose
                failures += 1
                log.info("long-poll failed (%s); retrying", error.message)
                loop.stop.wait(self._backoff.delay(failures))
                continue
            finally:
                self.polling = False
            if watched is None:
                need = loop.cycles + 1
            elif watched.news or watched.head > loop.engine.head_seen:
                failures = 0
                need = loop.cycles + 1
                if watched.news:
                    loop.resync("long_poll")
                else:
                    loop.poke(watched.head, "long_poll")
            elif time.monotonic() - started < self.wait_ms / 2000:
                # answered early with nothing new (a server or proxy ignoring wait_ms): no tight loop
                failures += 1
                loop.stop.wait(self._backoff.delay(failures))
            else:
                failures = 0


class LiveLoop:
    """`SyncEngine.run_forever`: the loop on the caller's thread; listener, long-poll and watchdog
    beside it."""

    def __init__(
        self, engine: "SyncEngine", stop: threading.Event, timings: LiveTimings | None = None
    ) -> None:
        self.engine = engine
        self.stop = stop
        self.timings = timings if timings is not None else LiveTimings()
        self.backoff = FullJitter(engine.rng, self.timings.backoff_base_s, self.timings.backoff_cap_s)
        self.failures = 0
        self.next_at = engine.clock()
        #: clock time at which the last cycle started
        self.last_start = -float("inf")
        #: cycles run (completed or failed), and stalls the watchdog aborted
        self.cycles = 0
        self.stalls = 0
        self._aborted_at = -float("inf")
        #: why the current (or last) cycle runs, e.g. {"poke"}, {"edit"}, {"long_poll"}, {"timer"}
        self.reasons: frozenset[str] = frozenset()
        #: how many cycles ran for each reason
        self.reason_counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._poke_head = 0
        self._sources: set[str] = set()
        self._resync = False
        self._thread_id: int | None = None
        self.sse = SseListener(self)
        wait_ms = self.timings.long_poll_ms
        self.long_poll = LongPoller(self, wait_ms) if wait_ms else None

    # -- requests from the helpers (any thread) ------------------------------------------------

    def poke(self, head: int, source: str) -> None:
        """The server's head is `head`: a cycle unless the last complete pull reached it."""
        with self._lock:
            self._poke_head = max(self._poke_head, head)
            self._sources.add(source)
        self.engine.request_sync(poke_head=head)

    def resync(self, source: str) -> None:
        """A cycle now whatever the heads say (a reconnect, a scope with news, an epoch change)."""
        with self._lock:
            self._resync = True
            self._sources.add(source)
        self.engine.request_sync(reconnected=True)

    def sse_changed(self, up: bool) -> None:
        with self._changed:
            self._changed.notify_all()
        poller = self.long_poll
        if up and poller is not None and poller.polling and poller.thread.ident is not None:
            self.engine.api.interrupt(poller.thread.ident)  # SSE is back: no long-poll beside it

    def wait_until(self, ready: Callable[[], bool]) -> bool:
        """Wait until `ready()` (checked whenever a cycle ends or SSE changes); False on stop."""
        with self._changed:
            while not self.stop.is_set() and not ready():
                self._changed.wait(self.timings.max_wait_s)
        return not self.stop.is_set()

    # -- the loop (its own thread) -------------------------------------------------------------

    def due(self) -> float:
        """When the next cycle should start: the timer, or a request (at once, but no sooner than
        `min_interval_s` after the last start)."""
        engine = self.engine
        due = self.next_at
        requests = [engine.poke_requested_at]
        if self.failures == 0:
            requests.append(engine.edit_requested_at)
        asked = [at for at in requests if at is not None]
        if asked:
            due = min(due, max(min(asked), self.last_start + self.timings.min_interval_s))
        return due

    def _reasons(self, edit_at: float | None, poke_at: float | None, now: float) -> frozenset[str] | None:
        """Why to run a cycle now (after `take_requests`); None when only stale pokes asked."""
        with self._lock:
            sources, self._sources = self._sources, set()
            resync, self._resync = self._resync, False
            head = self._poke_head
        reasons = set(sources)
        if edit_at is not None:
            reasons.add("edit")
        if now >= self.next_at:
            reasons.add("timer")
        elif edit_at is None and not resync and head <= self.engine.head_seen:
            return None
        return frozenset(reasons or {"timer"})

    def cycle(self) -> None:
        """Run one cycle now (unless only stale pokes asked for it) and plan the next one."""
        engine = self.engine
        edit_at, poke_at = engine.take_requests()
        now = engine.clock()
        reasons = self._reasons(edit_at, poke_at, now)
        if reasons is None:
            return
        self.reasons = reasons
        self.reason_counts.update(reasons)
        self.last_start = now
        try:
            engine.run_once()
        except Exception as error:
            self.failures += 1
            delay = self.backoff.delay(self.failures)
            if not isinstance(error, ApiError):
                log.exception("sync cycle failed unexpectedly")
                engine.board.update(state="error", last_error=f"unexpected failure: {type(error).__name__}")
            self.next_at = engine.clock() + delay
        else:
            self.failures = 0
            timings = self.timings
            self.next_at = engine.clock() + (
                timings.safety_sse_up_s if self.sse.up else timings.safety_sse_down_s
            )
        finally:
            with self._changed:
                self.cycles += 1
                self._changed.notify_all()

    def check_stall(self) -> bool:
        """Abort a cycle that has not progressed for `stall_s`: hang up its connection. Once per
        `stall_s` (the aborted cycle needs a moment to fail; a cycle still stuck after that
        long is aborted again)."""
        engine = self.engine
        now = engine.clock()
        if engine.busy and now - max(engine.last_progress, self._aborted_at) > self.timings.stall_s:
            log.warning("sync stalled for over %.0f s: aborting", self.timings.stall_s)
            self._aborted_at = now
            self.stalls += 1
            engine.abort()
            if self._thread_id is not None:
                engine.api.interrupt(self._thread_id)
            return True
        return False

    def _watchdog(self) -> None:
        while not self.stop.wait(self.timings.watchdog_tick_s):
            self.check_stall()

    def step(self) -> None:
        """One turn of the loop: a cycle if one is due, else a wait until it is (at most `max_wait_s`)."""
        now = self.engine.clock()
        due = self.due()
        if now >= due:
            self.cycle()
        else:
            self.engine.sleep(min(due - now, self.timings.max_wait_s))

    def run(self) -> None:
        self._thread_id = threading.get_ident()
        helpers = [self.sse.thread]
        if self.long_poll is not None:
            helpers.append(self.long_poll.thread)
        for thread in helpers:
            thread.start()
        watchdog = threading.Thread(target=self._watchdog, name="liaison-sync-watchdog", daemon=True)
        watchdog.start()
        try:
            while not self.stop.is_set():
                self.step()
        finally:
            self.stop.set()
            self.engine.wake.set()
            with self._changed:
                self._changed.notify_all()
            for thread in helpers:
                if thread.ident is not None:
                    self.engine.api.interrupt(thread.ident)
            for thread in helpers:
                thread.join(JOIN_S)
