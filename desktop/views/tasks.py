"""The task runner: the one way views run work off the GUI thread (ARCHITECTURE.md, STYLE.md).

Two lanes, as in Anki's task manager:
- **write**: one worker thread that owns the store `Writer` (given, or got from a callable on the
  lane: the window's cache opens its writer there once the window has painted); cache writes run
  in submission order, one at a time, so a later edit never overtakes an earlier one;
- **network**: a small pool for API calls (they may overlap).

Results come back on the GUI thread through a queued signal and only then reach `done`/`failed`.
A task submitted with a `key` makes every older task with the same key stale: its work still runs
(a write must not be skipped) but its result is dropped, never delivered — search-as-you-type and
screen pops rely on that. `inline=True` runs everything synchronously on the calling thread, for
tests and headless checks.
"""

import itertools
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QObject, Qt, Signal, Slot

if TYPE_CHECKING:  # for types only: the runner must not import SQLAlchemy (the window starts without it)
    from desktop.services.store import Writer

log = logging.getLogger(__name__)

T = TypeVar("T")

#: threads of the network lane: enough for a search, a screen pop and a command at once
NETWORK_WORKERS = 3

Done = Callable[[Any], None]
Failed = Callable[[BaseException], None]


class NoWriterError(RuntimeError):
    """`write()` was called on a runner made without a `Writer` (no cache is open)."""


@dataclass(frozen=True, slots=True)
class _Outcome:
    """What a finished task hands to the GUI thread: its result or its error, and who wants it."""

    key: str | None
    generation: int
    done: Done | None
    failed: Failed | None
    value: object = None
    error: BaseException | None = None


class TaskRunner(QObject):
    """One serial lane for cache writes (owns the store Writer), one network lane (a small pool);
    results come back on the GUI thread by queued signal; a newer task with the same `key` makes
    older results with that key stale (dropped, never delivered). `inline=True` runs everything
    synchronously on the calling thread (tests)."""

    #: internal: a finished task, emitted on a worker thread, received on the runner's thread
    _finished = Signal(object)

    def __init__(
        self,
        writer: "Writer | Callable[[], Writer] | None",
        *,
        inline: bool = False,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        #: where the write lane gets its writer (called on the lane, for each write)
        self._writer: Callable[[], Writer] | None = (
            None if writer is None else writer if callable(writer) else (lambda: writer)
        )
        self._inline = inline
        self._lock = threading.Lock()
        self._generations: dict[str, int] = {}
        self._counter = itertools.count(1)
        self._closed = False
        #: results dropped because a newer task with the same key was submitted (for tests and logs)
        self.dropped = 0
        self._write_lane: ThreadPoolExecutor | None = None
        self._network_lane: ThreadPoolExecutor | None = None
        if not inline:
            self._write_lane = ThreadPoolExecutor(max_workers=1, thread_name_prefix="liaison-write")
            self._network_lane = ThreadPoolExecutor(
                max_workers=NETWORK_WORKERS, thread_name_prefix="liaison-net"
            )
        self._finished.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    @property
    def inline(self) -> bool:
        return self._inline

    @property
    def closed(self) -> bool:
        return self._closed

    def write(
        self,
        work: "Callable[[Writer], T]",
        *,
        done: Callable[[T], None] | None = None,
        failed: Callable[[BaseException], None] | None = None,
        key: str | None = None,
    ) -> None:
        """Run `work(writer)` on the write lane, after every write submitted before it.

        A runner made with a callable gets its writer from it on the lane, each time (a cache whose
        engines are not open yet opens them there: `store.Cache`)."""
        writer = self._writer
        if writer is None:
            raise NoWriterError("no cache is open: there is nothing to write to")
        self._submit(self._write_lane, lambda: work(writer()), done, failed, key)

    def network(
        self,
        work: Callable[[], T],
        *,
        done: Callable[[T], None] | None = None,
        failed: Callable[[BaseException], None] | None = None,
        key: str | None = None,
    ) -> None:
        """Run `work()` on the network lane (several network tasks may run at once).

        After `shutdown()` the work is dropped, as queued network work is: a timer or a server
        event that fires while the window goes away must not fail (writes still raise, below)."""
        if self._closed:
            log.debug("network work after shutdown dropped")
            return
        self._submit(self._network_lane, work, done, failed, key)

    def shutdown(self) -> None:
        """Finish running work, stop threads (idempotent).

        Queued writes still run (a local edit is never lost); queued network work is cancelled.
        Results that arrive after this call are not delivered: the views are going away.
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
        if self._network_lane is not None:
            self._network_lane.shutdown(wait=True, cancel_futures=True)
        if self._write_lane is not None:
            self._write_lane.shutdown(wait=True)

    # -- internals -------------------------------------------------------------------------------

    def _next_generation(self, key: str | None) -> int:
        with self._lock:
            if self._closed:
                raise RuntimeError("the task runner is shut down")
            generation = next(self._counter)
            if key is not None:
                self._generations[key] = generation
            return generation

    def _is_current(self, key: str | None, generation: int) -> bool:
        if key is None:
            return True
        with self._lock:
            return self._generations.get(key) == generation

    def _submit(
        self,
        lane: ThreadPoolExecutor | None,
        call: Callable[[], Any],
        done: Done | None,
        failed: Failed | None,
        key: str | None,
    ) -> None:
        generation = self._next_generation(key)
        if lane is None:
            self._deliver(_run(call, key, generation, done, failed))
            return
        future: Future[_Outcome] = lane.submit(_run, call, key, generation, done, failed)
        future.add_done_callback(self._post)

    def _post(self, future: "Future[_Outcome]") -> None:
        # runs on the worker thread (or here, for a cancelled future): hand over to the GUI thread
        if future.cancelled() or self._closed:
            return
        self._finished.emit(future.result())

    @Slot(object)
    def _deliver(self, outcome: _Outcome) -> None:
        if self._closed and not self._inline:
            return
        if not self._is_current(outcome.key, outcome.generation):
            self.dropped += 1
            log.debug("dropped a stale result for %s", outcome.key)
            return
        if outcome.error is not None:
            if outcome.failed is not None:
                outcome.failed(outcome.error)
            else:
                log.error(
                    "a background task failed: %s",
                    type(outcome.error).__name__,
                    exc_info=outcome.error,
                )
        elif outcome.done is not None:
            outcome.done(outcome.value)


def _run(
    call: Callable[[], Any], key: str | None, generation: int, done: Done | None, failed: Failed | None
) -> _Outcome:
    """Run one task and capture its result or error (exceptions never escape a worker thread)."""
    try:
        value = call()
    except BaseException as exc:
        return _Outcome(key, generation, done, failed, error=exc)
    return _Outcome(key, generation, done, failed, value=value)
