"""Posting events to the server: batches of at most 1,000, retried with backoff on transport
errors and 429/502/503/504. A retry re-sends the same events with the same `event_id`s, so a batch
that did arrive although its answer was lost only counts as duplicates the second time."""

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

import httpx

from wire.telephony import MAX_EVENTS_PER_BATCH, EventBatchResult, EventRejection, TelephonyEvent

log = logging.getLogger(__name__)

EVENTS_PATH: Final = "/api/v1/telephony/events"
RETRY_STATUSES: Final = frozenset({429, 502, 503, 504})


class SinkError(Exception):
    """The server refused a batch (4xx other than 429): a bug on one side, not worth retrying."""


class SinkUnavailableError(Exception):
    """The server stayed unreachable through every retry; the events were not (all) delivered."""


@dataclass
class SinkTotals:
    batches: int = 0
    accepted: int = 0
    duplicates: int = 0
    retries: int = 0
    rejected: list[EventRejection] = field(default_factory=list)


class HttpSink:
    """POSTs events with the integration key (`Authorization: Bearer <key>`); never logs the key."""

    def __init__(
        self,
        client: httpx.Client,
        key: str,
        *,
        attempts: int = 8,
        backoff_s: float = 0.2,
        max_backoff_s: float = 10.0,
        stop: threading.Event | None = None,
    ) -> None:
        self._client = client
        self._headers = {"Authorization": f"Bearer {key}"}
        self._attempts = attempts
        self._backoff_s = backoff_s
        self._max_backoff_s = max_backoff_s
        self._stop = stop or threading.Event()
        self.totals = SinkTotals()

    def post(self, events: Sequence[TelephonyEvent]) -> None:
        for start in range(0, len(events), MAX_EVENTS_PER_BATCH):
            self._post_batch(events[start : start + MAX_EVENTS_PER_BATCH])

    def _post_batch(self, batch: Sequence[TelephonyEvent]) -> None:
        body = {"events": [event.model_dump(mode="json") for event in batch]}
        delay = self._backoff_s
        for attempt in range(1, self._attempts + 1):
            try:
                response = self._client.post(EVENTS_PATH, json=body, headers=self._headers)
            except httpx.TransportError as exc:
                problem = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code not in RETRY_STATUSES:
                    self._account(response)
                    return
                problem = f"HTTP {response.status_code}"
            if attempt == self._attempts or self._stop.wait(delay):
                break
            self.totals.retries += 1
            log.info("posting %d events failed (%s); retry %d in %.1f s", len(batch), problem, attempt, delay)
            delay = min(delay * 2, self._max_backoff_s)
        raise SinkUnavailableError(
            f"could not post {len(batch)} events to {self._client.base_url}: {problem}"
        )

    def _account(self, response: httpx.Response) -> None:
        if response.status_code >= 400:
            raise SinkError(
                f"the server refused the events: HTTP {response.status_code} {response.text[:500]}"
            )
        result = EventBatchResult.model_validate_json(response.content)
        self.totals.batches += 1
        self.totals.accepted += result.accepted
        self.totals.duplicates += result.duplicates
        if result.rejected:
            self.totals.rejected += result.rejected
            first = result.rejected[0]
            log.warning(
                "the server rejected %d events (first: %s %s)",
                len(result.rejected),
                first.event_id,
                first.reason,
            )
