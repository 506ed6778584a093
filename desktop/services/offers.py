"""Recommended offers for the customer screen and `liaison offers` (Qt-free; OFFERS.md).

- `OfferModelCache`: the `ref` side of ranking read once per session and kept in memory; a store
  change that names an offer, product, affinity or region signal makes it stale (read again on
  the next ranking);
- `ranking(conn, models, customer_id, now)`: the customer's facts (two indexed statements) ranked
  against the kept model (`offers_rank.rank`, pure; `now` is the caller's clock);
- `touches(conn, changed, customer_id)`: whether a store change can alter that customer's offers;
- `record_response(writer, …)`: the customer's answer (accepted, declined, not now, with an
  optional reason) as an `offer_response` append: the visible row and its outbox entry in one
  transaction, so it works offline, survives a crash and reaches the server once (the outbox's
  mutation id makes a repeated push a no-op there).
"""

import threading
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import Connection

from desktop.services.offers_load import load_customer, load_model
from desktop.services.offers_model import RESPONSES, OfferModel, Ranking, ResponseKind
from desktop.services.offers_rank import rank
from desktop.services.store.changed import Changed
from desktop.services.store.database import Writer
from desktop.services.store.driver import scalar
from desktop.services.store.edits import edit_in, new_record_id
from desktop.services.store.errors import LocalEditError
from desktop.services.store.outbox import pending_create
from desktop.services.store.rows import Touched, read_row
from desktop.services.store.search_index import reindex
from wire.auth import UserInfo

#: the `ref` entities the kept model is made of
MODEL_ENTITIES: Final = frozenset({"offer", "product", "affinity", "region_signal"})
#: the customer's own entities ranking reads
CUSTOMER_ENTITIES: Final = ("holding", "offer_response", "case")
MAX_REASON: Final = 500


class OfferResponseError(LocalEditError):
    """The answer was refused before anything was written (unknown offer or customer, bad value)."""


class OfferModelCache:
    """The session's ranking model, loaded on first use and again after a change to the `ref` data."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._model: OfferModel | None = None
        #: how many times the model was read from the cache (tests check it is once per session)
        self.loads = 0

    def get(self, conn: Connection) -> OfferModel:
        with self._lock:
            if self._model is None:
                self._model = load_model(conn)
                self.loads += 1
            return self._model

    def note(self, changed: Changed) -> bool:
        """Forget the model if `changed` touches the `ref` data it is made of; returns whether it did."""
        if changed.entities.isdisjoint(MODEL_ENTITIES):
            return False
        with self._lock:
            self._model = None
        return True


def ranking(conn: Connection, models: OfferModelCache, customer_id: str, now: datetime) -> Ranking | None:
    """The customer's offers now; None when the customer is not in the cache."""
    facts = load_customer(conn, customer_id)
    if facts is None:
        return None
    return rank(models.get(conn), facts, now)


def touches(conn: Connection, changed: Changed, customer_id: str) -> bool:
    """Whether `changed` may alter this customer's offers: the `ref` model, the customer row, or a
    holding, answer or case of theirs (a row of another customer's does not)."""
    if not changed.entities.isdisjoint(MODEL_ENTITIES) or customer_id in changed.ids("customer"):
        return True
    for entity in CUSTOMER_ENTITIES:
        ids = sorted(changed.ids(entity))
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            sql = f'SELECT 1 FROM "{entity}" WHERE customer_id = ? AND id IN ({marks}) LIMIT 1'
            if scalar(conn, sql, (customer_id, *chunk)) is not None:
                return True
    # a row that left the cache (deleted on the server) can no longer be traced to its customer
    return any(
        read_row(conn, entity, row_id) is None
        for entity in CUSTOMER_ENTITIES
        for row_id in changed.ids(entity)
    )


def _response_kind(value: str) -> ResponseKind:
    for kind in RESPONSES:
        if value == kind:
            return kind
    raise OfferResponseError(f"Unknown answer {value!r}: accepted, declined or not_now.")


def record_response(
    writer: Writer,
    customer_id: str,
    offer_id: str,
    response: str,
    user: UserInfo | None,
    *,
    reason: str | None = None,
    channel: str = "phone",
    queue_id: str | None = None,
    at: datetime | None = None,
) -> tuple[str, Changed]:
    """Record the customer's answer to an offer; returns the new `offer_response` id.

    Refused (nothing written, `OfferResponseError`) for an unknown customer or offer, an unknown
    answer, or a reason over `MAX_REASON` characters."""
    kind = _response_kind(response)
    text = (reason or "").replace("\x00", "").strip() or None
    if text is not None and len(text) > MAX_REASON:
        raise OfferResponseError(f"The reason is longer than {MAX_REASON} characters.")
    row_id = new_record_id()
    touched = Touched()
    stamp = (at or datetime.now(UTC)).astimezone(UTC).isoformat()
    with writer.transaction() as conn:
        if read_row(conn, "customer", customer_id) is None:
            raise OfferResponseError(f"The customer {customer_id} is not in the cache any more.")
        if read_row(conn, "offer", offer_id) is None:
            raise OfferResponseError(f"The offer {offer_id} is not in the catalog any more.")
        values: dict[str, Any] = {
            "customer_id": customer_id,
            "offer_id": offer_id,
            "channel": channel,
            "response": kind,
            "reason": text,
            "at": stamp,
            "queue_id": queue_id,
        }
        if user is not None:
            values["agent_id"] = user.id
        depends = pending_create(conn, "customer", customer_id)
        edit_in(conn, "offer_response", row_id, "append", values, depends, touched, at=stamp)
        reindex(conn, touched.customers)
    return row_id, touched.changed
