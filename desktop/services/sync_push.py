"""Pushing the outbox: pending entries in `client_seq` order, in batches of at most 100 (SYNC.md §2).

No network I/O inside a transaction: claim (one transaction), send, record (one transaction).
- a transport error or 5xx puts the batch back to pending (its attempt counted at the claim) and raises: the engine
  backs off and retries the whole cycle later;
- a request the server refuses as a whole (400/413/422) is split in halves until the mutation it
  cannot take is alone, then that one is dead-lettered locally: a poison mutation never blocks
  the rest of the outbox.
"""

from collections.abc import Callable

from desktop.services import crashpoints
from desktop.services.api import ApiClient
from desktop.services.api_errors import ApiError, BadRequest, TooLarge, ValidationFailed
from desktop.services.store import Cache, Changed, state
from desktop.services.sync_outbox import (
    PushOutcome,
    claim_batch,
    record_results,
    reject_locally,
    release_failed,
    release_inflight,
)
from desktop.services.sync_status import StatusBoard
from wire.sync import MAX_MUTATIONS_PER_PUSH, Mutation, PushRequest

#: a whole request refused for what it carries: retrying it unchanged would fail the same way
_REFUSED = (BadRequest, TooLarge, ValidationFailed)


class Pusher:
    def __init__(
        self,
        cache: Cache,
        api: ApiClient,
        board: StatusBoard,
        now: Callable[[], str],
        progress: Callable[[], None],
        batch_size: int = MAX_MUTATIONS_PER_PUSH,
    ) -> None:
        self._cache = cache
        self._api = api
        self._board = board
        self._now = now
        self._progress = progress
        self._batch_size = min(batch_size, MAX_MUTATIONS_PER_PUSH)

    def _ids(self) -> tuple[str, str | None]:
        with self._cache.read() as conn:
            current = state.read_state(conn)
        return current.client_id, current.epoch

    def push_all(self) -> Changed:
        """Push until no entry is pending; returns what changed locally. Raises `ApiError` on a
        failure that needs a retry later (the failed batch is pending again)."""
        changed = Changed()
        writer = self._cache.writer
        release_inflight(writer)
        while True:
            batch = claim_batch(writer, self._batch_size)
            if not batch:
                return changed
            outcome = self._send(batch)
            changed.merge(outcome.changed)
            self._board.changed(outcome.changed)
            self._board.rejected(outcome.rejected)
            self._progress()

    def _send(self, batch: list[Mutation]) -> PushOutcome:
        client_id, epoch = self._ids()
        request = PushRequest(client_id=client_id, epoch=epoch, mutations=batch)
        try:
            crashpoints.hit("before_push_send")
            response = self._api.push(request)
        except _REFUSED as error:
            return self._split(batch, error)
        except ApiError as error:
            release_failed(self._cache.writer, batch, error.message)
            raise
        except BaseException:
            release_failed(self._cache.writer, batch, "the push was interrupted")
            raise
        crashpoints.hit("after_push_send_before_ack")
        outcome = record_results(self._cache.writer, batch, response, self._now())
        crashpoints.hit("after_push_ack")
        return outcome

    def _split(self, batch: list[Mutation], error: ApiError) -> PushOutcome:
        """The request was refused as a whole: halve it to find the mutation the server cannot take."""
        if len(batch) == 1:
            reason = f"{error.code}: {error.message}"
            return reject_locally(self._cache.writer, batch[0], reason, self._now())
        middle = len(batch) // 2
        first, second = batch[:middle], batch[middle:]
        # the second half waits as pending while the first is sent on its own
        release_failed(self._cache.writer, second, None)
        return self._send(first)
