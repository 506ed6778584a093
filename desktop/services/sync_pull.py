"""Pulling scopes to the head (SYNC.md §1; docs/protocol.md §6).

Unprimed scopes are primed one at a time in subscription order (the user's own scope first), so
the first useful rows arrive first; then every scope is pulled together until no page has more.
Each page is applied with its cursor in one transaction (`store.apply_page`); a scope answering
`mode: "reset"` is reset (`store.reset_scope`) and primed again. A scope is marked primed with the
first log page after its snapshot. A 409 epoch reset propagates to the engine as `EpochReset`.

Priming a scope is pipelined: while page N is applied (on a one-thread write lane, still one
transaction through the one writer), the request for page N+1 is already on the wire from this
thread, with page N's `next` cursor, known before page N is applied. Requests stay on the calling
thread, so the stall watchdog's `ApiClient.interrupt(thread)` still hangs up a stuck one; only one
page is ever applied at a time; no network I/O runs inside a transaction; and a page is applied
only after the one before it committed, so a crash still leaves the stored cursor never ahead of
the data (the fetched-ahead page is simply fetched again). Snapshot pages are requested
`snapshot_limit` rows at a time (default 10 times `limit`, at most the server's 5,000: 5,000 for
the default 500, measured faster than SYNC.md's proposed 2,000 because every page costs a commit
with `synchronous=FULL`; log pages keep `limit`), and they defer the search index: the customers they touch are
listed in the page's transaction and their documents rebuilt once, in batches, when the scope is
primed and at the end of every pull (`store.apply.reindex_pending`).

`pull_all(index_later=True)` (the engine's cycle) keeps one write lane (`sync_lane.py`) for the
whole cycle: every page, log pages too, is applied on it, and the rebuild runs there as a chain of
batches queued behind the pages, so this thread goes on fetching the next scope (whose pages are
applied between two batches) and the engine's integrity check reads beside the rebuild; the
engine waits for the rebuild (`finish_index`) before the cycle ends. Otherwise each `_prime` has a
lane of its own and `pull_all` rebuilds the documents itself before it goes on.

`watch(wait_ms)` is the long-poll of SYNC.md §3 (the fallback when SSE is down or buffered): one
pull of the primed scopes at their cursors with `wait_ms` and `limit` 1, which the server answers as
soon as something changed. It applies nothing: it only says whether a cycle is worth running, and
the cycle (on the live loop's thread) pulls and applies as usual, so pages are never applied from
two threads at once.
"""

import functools
import hashlib
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Final

from desktop.services import crashpoints
from desktop.services.api import ApiClient, PullResult
from desktop.services.api_errors import BadResponse
from desktop.services.store import Cache, Changed, apply_page, drop_scope, reset_scope, state
from desktop.services.store.apply import reindex_pending
from desktop.services.sync_lane import WriteLane
from desktop.services.sync_status import StatusBoard
from wire.sync import MAX_PULL_LIMIT, MAX_SCOPES_PER_PULL, PullRequest

#: snapshot pages are this many times the log page size, at most `MAX_PULL_LIMIT` (bench/README.md)
SNAPSHOT_FACTOR: Final = 10


@dataclass(frozen=True)
class Watched:
    """What a long-poll saw: the server's head, and whether a scope has something to pull."""

    head: int
    #: a scope answered with changes, more pages or a reset
    news: bool


@dataclass
class PullSummary:
    changed: Changed = field(default_factory=Changed)
    #: the server's head when the last scope reached it
    head: int = 0
    #: the lowest `client_acked_through` of the final pages (every scope at the head)
    acked_through: int = 0
    pages: int = 0
    #: scopes that were reset (mode reset) during this pull
    reset: set[str] = field(default_factory=set)


def page_checksum(result: PullResult) -> str:
    """The page checksum the server computes (docs/protocol.md §6), over the page as received."""
    digest = hashlib.sha256()
    for scope in sorted(result.page.scopes):
        lines = [
            f"{scope}\t{c.seq}\t{c.entity}\t{c.id}\t{c.op}\t{c.version}\n"
            for c in result.page.scopes[scope].changes
        ]
        digest.update("".join(lines).encode())  # one update per scope: the same digest
    return "sha256:" + digest.hexdigest()


def _chunks(names: list[str]) -> list[list[str]]:
    return [names[i : i + MAX_SCOPES_PER_PULL] for i in range(0, len(names), MAX_SCOPES_PER_PULL)]


def _fetch_beside(
    applying: "Future[Changed]", fetch: Callable[[], PullResult], settle: Callable[[Changed], None]
) -> PullResult:
    """`fetch()` while `applying` runs. When the fetch fails, the apply is still waited for (never
    left writing behind the caller) and its committed page announced with `settle`; the apply's own
    failure, if any, is the one raised."""
    try:
        return fetch()
    except BaseException:
        settle(applying.result())
        raise


class Puller:
    def __init__(
        self,
        cache: Cache,
        api: ApiClient,
        board: StatusBoard,
        progress: Callable[[], None],
        limit: int = 500,
        snapshot_limit: int | None = None,
    ) -> None:
        self._cache = cache
        self._api = api
        self._board = board
        self._progress = progress
        self._limit = limit
        #: rows per snapshot page (priming); log pages use `limit`
        self.snapshot_limit = (
            snapshot_limit if snapshot_limit is not None else min(MAX_PULL_LIMIT, limit * SNAPSHOT_FACTOR)
        )
        #: the cycle's write lane, from `pull_all(index_later=True)` until `finish_index`
        self._lane: WriteLane | None = None

    def subscribe(self, scopes: list[str]) -> Changed:
        """Make the cache's scope list equal `scopes`: new ones start unprimed, others are dropped."""
        changed = Changed()
        with self._cache.read() as conn:
            known = state.read_state(conn).scopes
        for name in known:
            if name not in scopes:
                changed.merge(drop_scope(self._cache.writer, name))
        missing = [s for s in scopes if s not in known]
        if missing:
            with self._cache.writer.transaction() as conn:
                for name in missing:
                    state.set_cursor(conn, name, None, primed=False, at="")
        return changed

    def pull_all(self, scopes: list[str], *, index_later: bool = False) -> PullSummary:
        """Pull every scope until no page has more; raises `EpochReset` and other `ApiError`s.

        `index_later`: pages are applied on the cycle's write lane and the deferred search
        documents rebuilt there, beside what the caller does next; the caller must end with
        `finish_index` (or `abandon_index`), also after an error."""
        if index_later and self._lane is None:
            self._lane = WriteLane()
        summary = PullSummary()
        self.subscribe(scopes)
        while True:
            current = self._read_state()
            unprimed = [s for s in scopes if not current.scopes[s].primed]
            if unprimed:
                self._board.update(
                    state="priming", percent=100 * (len(scopes) - len(unprimed)) // len(scopes)
                )
                self._prime(unprimed[0], summary)
                self._reindex()
                continue
            more = False
            lowest: int | None = None
            for chunk in _chunks(scopes):
                page_more, acked = self._request(chunk, summary)
                more = more or page_more
                lowest = acked if lowest is None else min(lowest, acked)
            if not more:
                self._reindex()
                summary.acked_through = lowest or 0
                return summary

    def probe_epoch(self) -> None:
        """A pull with no scopes: raises `EpochReset` when the server's epoch is no longer ours."""
        current = self._read_state()
        if current.epoch is None:
            return
        self._api.pull(PullRequest(client_id=current.client_id, epoch=current.epoch, scopes={}))

    def watch(self, wait_ms: int) -> Watched | None:
        """Long-poll the primed scopes (the first `MAX_SCOPES_PER_PULL`; the server wakes on any
        head change, so they stand for all). None when nothing is primed yet (no epoch, no cursor):
        there is nothing to wait on before a cycle has run. Raises `EpochReset` and other `ApiError`s."""
        current = self._read_state()
        cursors = {n: s.cursor for n, s in current.scopes.items() if s.primed and s.cursor is not None}
        if current.epoch is None or not cursors:
            return None
        names = sorted(cursors)[:MAX_SCOPES_PER_PULL]
        request = PullRequest(
            client_id=current.client_id,
            epoch=current.epoch,
            scopes={n: cursors[n] for n in names},
            limit=1,
            wait_ms=wait_ms,
        )
        page = self._api.pull(request).page
        news = any(p.mode != "log" or p.changes or p.has_more for p in page.scopes.values())
        return Watched(head=page.head, news=news)

    def _read_state(self) -> state.SyncState:
        with self._cache.read() as conn:
            return state.read_state(conn)

    def _fetch(self, request: PullRequest, names: list[str], summary: PullSummary) -> PullResult:
        """One pull request, its checksum checked and an answer for every scope asked for."""
        result = self._api.pull(request)
        if page_checksum(result) != result.page.page_checksum:
            raise BadResponse("the server's pull page does not match its checksum")
        for name in names:
            if name not in result.page.scopes:
                raise BadResponse(f"the server's pull page has no answer for the scope {name!r}")
        summary.pages += 1
        summary.head = result.page.head
        return result

    def _apply(self, name: str, result: PullResult, was_primed: bool) -> Changed:
        """Apply one scope's page (or its reset) with its cursor, in the store's one transaction."""
        page = result.page.scopes[name]
        if page.mode == "reset":
            return reset_scope(self._cache.writer, name)
        changed = apply_page(
            self._cache.writer,
            name,
            result.changes.get(name, []),
            page.next,
            primed=True if page.mode == "log" and not was_primed else None,
            epoch=result.page.epoch,
            defer_search=page.mode == "snapshot",
        )
        crashpoints.hit("mid_page_apply")  # apply_page's transaction is the store's: just after it
        return changed

    def _announce(self, summary: PullSummary, changed: Changed) -> None:
        summary.changed.merge(changed)
        self._board.changed(changed)

    def _settled(self, name: str, result: PullResult, changed: Changed, summary: PullSummary) -> None:
        """A page is committed: count a reset, announce what changed, and note the progress."""
        if result.page.scopes[name].mode == "reset":
            summary.reset.add(name)
        self._announce(summary, changed)
        self._progress()

    def _request(self, names: list[str], summary: PullSummary) -> tuple[bool, int]:
        """One pull request for `names`; applies each scope's page. (any has_more or reset, acked)."""
        current = self._read_state()
        request = PullRequest(
            client_id=current.client_id,
            epoch=current.epoch,
            scopes={n: current.scopes[n].cursor for n in names},
            limit=self._limit,
        )
        result = self._fetch(request, names, summary)
        more = False
        for name in names:
            page = result.page.scopes[name]
            primed = current.scopes[name].primed
            if self._lane is None:
                changed = self._apply(name, result, primed)
            else:
                changed = self._lane.submit(self._apply, name, result, primed).result()
            more = more or page.mode == "reset" or page.has_more
            self._settled(name, result, changed, summary)
        return more, result.page.client_acked_through

    def _prime(self, name: str, summary: PullSummary) -> None:
        """Pull the unprimed scope `name` page by page, fetching the next page while one is applied,
        until a page that is not a snapshot page (the first log page marks it primed, or a reset)."""
        current = self._read_state()
        request = PullRequest(
            client_id=current.client_id,
            epoch=current.epoch,
            scopes={name: current.scopes[name].cursor},
            limit=self.snapshot_limit,
        )
        result = self._fetch(request, [name], summary)
        lane = self._lane if self._lane is not None else WriteLane()
        try:
            while True:
                page = result.page.scopes[name]
                applying = lane.submit(self._apply, name, result, False)
                following: PullResult | None = None
                if page.mode == "snapshot" and page.has_more and page.next is not None:
                    ahead = request.model_copy(
                        update={"epoch": result.page.epoch, "scopes": {name: page.next}}
                    )
                    following = _fetch_beside(
                        applying,
                        functools.partial(self._fetch, ahead, [name], summary),
                        functools.partial(self._announce, summary),
                    )
                self._settled(name, result, applying.result(), summary)
                if following is None:
                    return
                result = following
        finally:
            if lane is not self._lane:
                lane.close()

    def _reindex(self) -> None:
        """Rebuild the search documents snapshot pages deferred, a batch per transaction: on the
        cycle's write lane when there is one, else here."""
        if self._lane is not None:
            self._lane.start_index(self._cache, self._progress)
            return
        while reindex_pending(self._cache.writer):
            self._progress()

    def finish_index(self) -> None:
        """Wait for the search rebuild on the cycle's write lane and stop the lane; raises the
        rebuild's failure."""
        lane, self._lane = self._lane, None
        if lane is not None:
            lane.finish()

    def abandon_index(self) -> None:
        """`finish_index` without raising (the cycle is failing with another error already)."""
        lane, self._lane = self._lane, None
        if lane is not None:
            lane.abandon()
