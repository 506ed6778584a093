"""The sync engine (SYNC.md §1-4): push the outbox, pull every scope, settle what the pull confirmed.

Qt-free, so the same engine runs in the GUI (on a worker thread, observed through callbacks) and
headless (`liaison sync`). `run_once()` is one full cycle:

1. push pending outbox entries in `client_seq` order (`sync_push.Pusher`);
2. pull every scope until no page has more (`sync_pull.Puller`); on a 409 epoch reset the acked log
   (30 days) is queued again, the mirrors are reset (`store.reset_epoch`, the outbox kept), the
   queue is pushed and every scope primed again. Pages are applied on the cycle's write lane
   (`sync_lane.py`), where the search documents a snapshot deferred are rebuilt too, batch by
   batch between the next pages and beside the integrity check (step 4); the cycle waits for the
   rebuild before it settles, so it still returns with the index complete;
3. acked entries that `client_acked_through` covers move to the acked log and their rows settle;
4. the integrity check (SYNC.md §1): every scope not compared with the server since its last
   snapshot (new, `mode: "reset"`, new epoch) or not for 24 h of the injected `wall_clock` is
   compared with the server's scope checksum; only a scope that differs is re-primed, then compared
   again. The time of the last check is kept per scope in the cache (`sync_scope.verified_at`), so
   the daily rhythm survives restarts.

**Scopes** are the user's defaults (or those given) plus the on-demand customer scopes held in the
cache (`customer_scopes`): `add_scope(name)` records one (thread-safe) and wakes the loop; each
cycle first drops the ones whose 24 h hold has ended on the injected `wall_clock`, and a pull that
the server refuses because it no longer grants one (`scope_not_granted`) drops that one and goes on
without it. Dropping a scope deletes the rows only it held (`store.drop_scope`) and announces them.

`run_forever(stop_event)` (in `sync_live.py`) adds SSE pokes, safety pulls, backoff and the stall
watchdog. Time comes from the injected `clock` (monotonic seconds) and waits go through `sleep`,
so tests run without real waiting.
"""

import logging
import random
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from desktop.services import customer_scopes
from desktop.services.api import ApiClient, ServerEvent
from desktop.services.api_errors import ApiError, EpochReset, Forbidden, TransportError
from desktop.services.store import Cache, Changed, drop_scope, reset_epoch, reset_scope, scope_checksum, state
from desktop.services.store.apply import reindex_pending
from desktop.services.store.state import ScopeState
from desktop.services.sync_live import LiveLoop
from desktop.services.sync_outbox import ACKED_LOG_DAYS, prune_acked_log, requeue_for_epoch, settle_acked
from desktop.services.sync_pull import Puller, PullSummary
from desktop.services.sync_push import Pusher
from desktop.services.sync_status import (
    ChangedCallback,
    RejectedCallback,
    StatusBoard,
    StatusCallback,
    SyncStatus,
)
from wire.auth import UserInfo

log = logging.getLogger(__name__)

#: epoch resets handled within one cycle before giving up (a server rotating in a loop)
MAX_EPOCH_RESETS = 3
#: how often each scope's checksum is compared with the server's (SYNC.md §1 "Integrity check")
VERIFY_INTERVAL = timedelta(hours=24)


class Stalled(ApiError):
    """The stall watchdog aborted the cycle: nothing progressed for too long while there was work."""

    code = "stalled"


def default_scopes(user: UserInfo) -> list[str]:
    """The scopes a user's desktop subscribes to, in priming order (the server's `default_scopes`)."""
    scopes = [f"user:{user.id}"]
    if set(user.roles) & {"agent", "supervisor", "admin"}:
        scopes += [f"queue:{q}" for q in user.queue_ids]
        scopes.append("directory")
    scopes += [f"territory:{t}" for t in user.territory_ids]
    scopes.append("ref")
    return scopes


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _revoked_scope(refused: Forbidden) -> str | None:
    """The on-demand scope a refused pull names as no longer granted, if that is the refusal."""
    scope = refused.details.get("scope")
    if refused.details.get("reason") != "scope_not_granted" or not isinstance(scope, str):
        return None
    return scope if customer_scopes.is_customer_scope(scope) else None


def verification_due(scope: ScopeState, now: datetime) -> bool:
    """Whether the integrity check should compare `scope` with the server at `now`: never checked
    since its last snapshot, checked `VERIFY_INTERVAL` ago or more, or "in the future" (the wall
    clock went back: one check too many is cheaper than none for days)."""
    if scope.verified_at is None:
        return True
    try:
        last = _aware(datetime.fromisoformat(scope.verified_at))
    except ValueError:
        return True
    elapsed = _aware(now) - last
    return elapsed >= VERIFY_INTERVAL or elapsed < timedelta(0)


class SyncEngine:
    """Keeps one profile's cache in step with the server, for the signed-in user of `api`."""

    def __init__(
        self,
        cache: Cache,
        api: ApiClient,
        *,
        scopes: list[str] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] | None = None,
        rng: random.Random | None = None,
        on_status: StatusCallback | None = None,
        on_changed: ChangedCallback | None = None,
        on_rejected: RejectedCallback | None = None,
        wall_clock: Callable[[], datetime] | None = None,
        page_limit: int = 500,
    ) -> None:
        self.cache = cache
        self.api = api
        self.clock = clock
        self.rng = rng if rng is not None else random.Random()
        self._scopes = list(scopes) if scopes is not None else None
        self._wall = wall_clock if wall_clock is not None else (lambda: datetime.now(UTC))
        self.board = StatusBoard(cache, on_status, on_changed, on_rejected)
        #: set by pokes, local edits and `stop`: interrupts the default `sleep`
        self.wake = threading.Event()
        self.sleep: Callable[[float], None] = sleep if sleep is not None else self._wait
        self._abort = threading.Event()
        self._busy = threading.Event()
        self._last_progress = clock()
        #: the server head the last complete pull reached
        self.head_seen = 0
        self._requests_lock = threading.Lock()
        #: clock times of the first local-edit request and the first poke not yet served
        self.edit_requested_at: float | None = None
        self.poke_requested_at: float | None = None
        self.pusher = Pusher(cache, api, self.board, self.now, self.checkpoint)
        self.puller = Puller(cache, api, self.board, self.checkpoint, limit=page_limit)
        #: called on the SSE listener's thread with every server event other than pokes and
        #: heartbeats (the contact centre's `incoming_contact`, `queue_snapshot`, `broadcast`…)
        self.on_event: Callable[[ServerEvent], None] | None = None

    # -- small services for the parts ------------------------------------------------------------

    def now(self) -> str:
        return _iso(self._wall())

    def _wait(self, seconds: float) -> None:
        self.wake.wait(max(seconds, 0.0))
        self.wake.clear()

    def checkpoint(self) -> None:
        """Something progressed (a page applied, a push recorded); raise if the watchdog aborted."""
        if self._abort.is_set():
            self._abort.clear()
            raise Stalled("the sync made no progress for too long; reconnecting")
        self._last_progress = self.clock()

    def abort(self) -> None:
        """Ask the running cycle to stop at its next step (the stall watchdog)."""
        self._abort.set()

    @property
    def busy(self) -> bool:
        return self._busy.is_set()

    @property
    def last_progress(self) -> float:
        return self._last_progress

    @property
    def status(self) -> SyncStatus:
        return self.board.status

    def default_scopes(self) -> list[str]:
        """The scopes as given, else the signed-in user's defaults (without on-demand ones)."""
        if self._scopes is not None:
            return list(self._scopes)
        user = self.api.user
        if user is None:
            user = self.api.me()
        return default_scopes(user)

    def scopes(self) -> list[str]:
        """The subscribed scopes: the defaults, then the on-demand customer scopes still held."""
        scopes = self.default_scopes()
        with self.cache.read() as conn:
            held = customer_scopes.live_scopes(conn, self._wall())
        return scopes + [name for name in held if name not in scopes]

    def add_scope(self, name: str, *, server_expires_at: str | None = None) -> None:
        """Hold the on-demand customer scope `name` (the server granted it to this client) for
        `customer_scopes.TTL` from now, and sync soon so that it is pulled. Thread-safe (one short
        cache write); a scope already held is renewed. Raises ValueError for another kind of scope."""
        customer_scopes.record_grant(
            self.cache.writer, name, self._wall(), server_expires_at=server_expires_at
        )
        self.request_sync()

    def drop_scopes(self, names: list[str]) -> Changed:
        """Stop holding these on-demand scopes: forget the grants, drop the scopes and the rows only
        they held (rows the outbox still needs stay), and announce what went."""
        changed = Changed()
        if not names:
            return changed
        with self.cache.writer.transaction() as conn:
            customer_scopes.forget(conn, names)
        with self.cache.read() as conn:
            known = state.read_state(conn).scopes
        for name in names:
            if name in known:
                changed.merge(drop_scope(self.cache.writer, name))
        log.info("dropped %d on-demand scope(s)", len(names))
        self.board.changed(changed)
        return changed

    def _drop_expired(self, changed: Changed) -> None:
        with self.cache.read() as conn:
            expired = customer_scopes.expired_scopes(conn, self._wall())
        changed.merge(self.drop_scopes(expired))

    def pending_work(self) -> bool:
        return self.board.update().pending > 0

    # -- one cycle ----------------------------------------------------------------------------

    def run_once(self) -> Changed:
        """One full cycle: push, pull to the head, settle. Returns everything that changed.

        Raises the `ApiError` that ended the cycle (the status says `offline` or `error`); what was
        done before it stays done."""
        self._busy.set()
        self._abort.clear()
        self._last_progress = self.clock()
        changed = Changed()
        try:
            self.board.update(state="syncing")
            # search documents a crash left unbuilt after priming (offline too: no network needed)
            while reindex_pending(self.cache.writer):
                pass
            self._drop_expired(changed)
            scopes = self.scopes()
            self._probe_epoch(changed)
            changed.merge(self.pusher.push_all())
            summary = self._pull(scopes, changed)
            self._verify(scopes, summary, changed)
            self.puller.finish_index()
            settled = settle_acked(self.cache.writer, summary.acked_through, self.now())
            self.board.changed(settled)
            changed.merge(settled)
            prune_acked_log(self.cache.writer, _iso(self._wall() - timedelta(days=ACKED_LOG_DAYS)))
            self.head_seen = max(self.head_seen, summary.head)
            at = self.now()
            with self.cache.writer.transaction() as conn:
                state.record_success(conn, at)
            self.board.update(state="idle", percent=100, last_success=at, last_error=None)
            return changed
        except ApiError as error:
            self.puller.abandon_index()  # before `_failed` writes the error: no batch after it
            self._failed(error)
            raise
        finally:
            self.puller.abandon_index()  # waits for the write lane when the cycle failed
            self._busy.clear()

    def _pull(self, scopes: list[str], changed: Changed) -> PullSummary:
        """Pull `scopes` to the head; an on-demand scope the server no longer grants is removed
        from `scopes` (in place) and dropped, and the pull goes on without it."""
        resets = 0
        while True:
            try:
                summary = self.puller.pull_all(scopes, index_later=True)
            except EpochReset as reset:
                self._epoch_reset(reset, changed)
                changed.merge(self.pusher.push_all())
                resets += 1
                if resets >= MAX_EPOCH_RESETS:
                    raise EpochReset("the server's epoch keeps changing; try again later") from None
                continue
            except Forbidden as refused:
                revoked = _revoked_scope(refused)
                if revoked is None or revoked not in scopes:
                    raise
                log.info("the server no longer grants an on-demand scope; dropping it")
                scopes.remove(revoked)
                changed.merge(self.drop_scopes([revoked]))
                continue
            changed.merge(summary.changed)
            return summary

    def _epoch_reset(self, reset: EpochReset, changed: Changed) -> None:
        if reset.epoch is None:
            raise reset
        since = _iso(self._wall() - timedelta(days=ACKED_LOG_DAYS))
        # the acked log goes back to the outbox first: a crash after this still re-pushes it
        requeued = requeue_for_epoch(self.cache.writer, since)
        changed.merge(reset_epoch(self.cache.writer, reset.epoch))
        self.head_seen = 0
        log.warning(
            "epoch reset to %s: mirrors rebuilt, %d acknowledged edit(s) re-pushed", reset.epoch, requeued
        )

    def _probe_epoch(self, changed: Changed) -> None:
        """Before pushing, make sure the server's epoch is still ours (push does not check it), so
        that a restored server gets the re-pushed acked log before newer edits."""
        if not self.pending_work():
            return
        try:
            self.puller.probe_epoch()
        except EpochReset as reset:
            self._epoch_reset(reset, changed)

    def _verify(self, scopes: list[str], summary: PullSummary, changed: Changed) -> None:
        """The integrity check: compare the due scopes with the server, re-prime the ones that differ.

        Best effort: when the server cannot answer or its head moved since the pull, the scopes
        not compared stay due and the next cycle tries again. A scope still different after its
        re-prime is logged as an error and counted as checked, so that it is not downloaded
        again on every cycle (the next try is a day later)."""
        now = self._wall()
        with self.cache.read() as conn:
            known = state.read_state(conn).scopes
        due = [s for s in scopes if s in known and verification_due(known[s], now)]
        mismatched = self._compare(due, summary.head)
        if not mismatched:
            return
        log.warning("integrity check: %s differ(s) from the server; downloading again", ", ".join(mismatched))
        for name in mismatched:
            changed.merge(reset_scope(self.cache.writer, name))
        again = self.puller.pull_all(scopes, index_later=True)
        changed.merge(again.changed)
        summary.acked_through = again.acked_through
        summary.head = again.head
        still = self._compare(mismatched, again.head)
        if still:
            log.error(
                "integrity check: %s still differ(s) from the server after a re-prime", ", ".join(still)
            )
            self._mark_verified(still)
        self.board.update(repaired=tuple(mismatched))

    def _compare(self, names: list[str], head: int) -> list[str]:
        """Compare each scope with the server (at `head`); mark the equal ones verified and return
        the ones that differ. Stops at the first scope that cannot be compared: the server moved on
        (the others would be stale too) or did not answer."""
        equal: list[str] = []
        different: list[str] = []
        for name in names:
            try:
                same = self.matches_server(name, head)
            except ApiError as error:
                log.info("integrity check of %s postponed: %s", name, error.message)
                break
            if same is None:
                log.info("integrity check of %s postponed: the server changed since the pull", name)
                break
            (equal if same else different).append(name)
        if equal or different:
            self._mark_verified(equal)
            self.board.update(last_verified=self.now())
        return different

    def _mark_verified(self, names: list[str]) -> None:
        if not names:
            return
        at = self.now()
        with self.cache.writer.transaction() as conn:
            for name in names:
                state.mark_verified(conn, name, at)

    def matches_server(self, scope: str, head: int) -> bool | None:
        """Whether the scope's checksum equals the server's; None when the server's head is no
        longer `head` (the scope pulled to), so the two cannot be compared."""
        with self.cache.read() as conn:
            client_id = state.read_state(conn).client_id
        answer = self.api.scope_checksum(scope, client_id)
        if answer.head != head:
            return None
        with self.cache.read() as conn:
            _count, mine = scope_checksum(conn, scope)
        return mine == answer.checksum

    def _failed(self, error: ApiError) -> None:
        offline = isinstance(error, TransportError)
        text = error.message
        log.info("sync cycle failed (%s): %s", type(error).__name__, text)
        try:
            with self.cache.writer.transaction() as conn:
                state.record_error(conn, text, self.now())
        finally:
            self.board.update(state="offline" if offline else "error", last_error=text)

    # -- live ---------------------------------------------------------------------------------

    def request_sync(self, *, poke_head: int | None = None, reconnected: bool = False) -> None:
        """Sync soon (debounced): after a local edit, on a poke whose head is past ours, or when the
        event stream came back after a failure (`reconnected`: retry pending pushes now)."""
        with self._requests_lock:
            now = self.clock()
            if reconnected:
                self.poke_requested_at = now if self.poke_requested_at is None else self.poke_requested_at
            elif poke_head is None:
                self.edit_requested_at = now if self.edit_requested_at is None else self.edit_requested_at
            elif poke_head > self.head_seen:
                self.poke_requested_at = now if self.poke_requested_at is None else self.poke_requested_at
            else:
                return
        self.wake.set()

    def take_requests(self) -> tuple[float | None, float | None]:
        """(edit, poke) request times, cleared: the live loop runs a cycle for them."""
        with self._requests_lock:
            taken = (self.edit_requested_at, self.poke_requested_at)
            self.edit_requested_at = self.poke_requested_at = None
        return taken

    def run_forever(self, stop_event: threading.Event) -> None:
        """Sync until `stop_event` is set: pokes, safety pulls, retries with backoff, watchdog."""
        LiveLoop(self, stop_event).run()
