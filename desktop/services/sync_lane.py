"""The write lane: one thread that applies a cycle's pull pages and rebuilds its deferred search
documents, in the order they are handed to it.

While a scope primes, each page is applied on the lane while the puller's own thread fetches the
next one (`sync_pull.py`). When a scope's snapshot completes, its customers' search documents are
rebuilt (`store.apply.reindex_pending`, a batch of documents per transaction). On the lane that
rebuild is a chain of jobs, one batch each, every one queued behind the work already handed to the
lane: the next scope's pages are fetched meanwhile and applied between two batches, and what needs
no writer at all (the integrity check: checksums on read connections and on the server) runs beside
it. `finish()` waits for the chain to find nothing left, so the cycle still ends with every
document built. Nothing changes for a crash: the list of documents to rebuild (`search_dirty`) is
committed with the pages that made it, and each batch is its own transaction.

Failures: a job's error is raised where its result is awaited (a page: by the puller; the
rebuild: by `finish()`). `abandon()`, for a cycle already failing with another error, lets the
batch under way end, starts no other and only logs a failure: what is left stays listed and the
next cycle rebuilds it first (as after a crash), so a failing cycle does not wait for a whole
rebuild. No lane thread outlives `finish()`, `abandon()` or `close()`.
"""

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from desktop.services.store import Cache
from desktop.services.store.apply import reindex_pending

P = ParamSpec("P")
T = TypeVar("T")
log = logging.getLogger(__name__)


class WriteLane:
    def __init__(self) -> None:
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        #: the search rebuild's latest batch job (None: no rebuild started since the last wait)
        self._index: Future[None] | None = None
        #: set by `abandon`: no further batch is started
        self._stopping = False

    def _executor(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="liaison-apply")
        return self._pool

    def submit(self, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> "Future[T]":
        """Queue `function` behind everything handed to the lane before it."""
        return self._executor().submit(function, *args, **kwargs)

    def start_index(self, cache: Cache, progress: Callable[[], None]) -> None:
        """Rebuild the deferred search documents, batch by batch, each batch queued behind the
        lane's other work; `progress` is called after each batch (on the lane's thread).

        A rebuild already under way goes on until none is left (it reads the list each batch, and
        every page handed to the lane earlier has committed its part of the list by then)."""
        with self._lock:
            if self._index is not None and not self._index.done():
                return
            self._index = self.submit(self._index_batch, cache, progress)

    def _index_batch(self, cache: Cache, progress: Callable[[], None]) -> None:
        if self._stopping or not reindex_pending(cache.writer):
            return
        progress()
        with self._lock:
            if not self._stopping:
                self._index = self.submit(self._index_batch, cache, progress)

    def finish(self) -> None:
        """Wait until the search rebuild has nothing left, then stop the lane; raises the
        rebuild's failure."""
        failure = self._wait_index()
        self.close()
        if failure is not None:
            raise failure

    def stop(self) -> None:
        """Start no further batch of the rebuild; the one under way ends, the rest stays listed."""
        with self._lock:
            self._stopping = True

    def abandon(self) -> None:
        """`stop`, then wait for the batch under way and stop the lane; logs the rebuild's failure
        instead of raising it."""
        self.stop()
        failure = self._wait_index()
        self.close()
        if failure is not None:
            log.info("search index rebuild stopped: %s", failure)

    def close(self) -> None:
        """Stop the lane once the work handed to it is done."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def _wait_index(self) -> BaseException | None:
        while True:
            with self._lock:
                job = self._index
            if job is None:
                return None
            try:
                job.result()
            except BaseException as exc:  # raised by `finish`, logged by `abandon`
                with self._lock:
                    self._index = None
                return exc
            with self._lock:
                if self._index is job:  # the last batch found nothing left
                    self._index = None
                    return None
