"""What customers own (with planted product affinities) and how they answered offers."""

import random
from collections.abc import Callable
from typing import Final

from server.seed.bulk import BulkWriter
from server.seed.catalog import OFFER_QUEUES
from server.seed.customers import SYNC, Facts
from server.seed.factory import Factory
from server.seed.ids import DAY, Clock
from server.seed.reference import Reference, SeededOffer
from server.seed.texts import DECLINE_REASONS
from server.seed.weighted import Weighted

HOLDING_COLUMNS: Final = (
    *SYNC,
    "customer_id",
    "product_id",
    "channel",
    "price_paid",
    "since",
    "renews_at",
)
OFFER_RESPONSE_COLUMNS: Final = (
    *SYNC,
    "customer_id",
    "offer_id",
    "agent_id",
    "channel",
    "response",
    "reason",
    "at",
    "queue_id",
)
_CHANNELS: Final = Weighted([("web", 35), ("store", 30), ("phone", 20), ("partner", 8), ("field_visit", 7)])
_RESPONSES: Final = Weighted([("accepted", 20), ("declined", 55), ("not_now", 25)])
_RESPONSE_CHANNELS: Final = Weighted([("phone", 60), ("chat", 15), ("store", 15), ("web", 10)])
#: a month, for contract renewals (an average month: renewal dates need no calendar precision)
MONTH: Final = 365.25 / 12 * DAY


def renewal(since: float, months: int, now: float) -> float | None:
    """The first contract anniversary (every `months`) after `now`; None for a one-off purchase."""
    if months <= 0:
        return None
    term = months * MONTH
    return since + term * (1 + int(max(0.0, now - since) // term))


class HoldingFactory(Factory):
    """Holdings drawn per product from its popularity, plus the planted follow-on purchases."""

    def __init__(
        self,
        rng: random.Random,
        new_id: Callable[[], str],
        clock: Clock,
        ref: Reference,
        seq: int,
        writer: BulkWriter,
    ) -> None:
        super().__init__(rng, new_id, clock, ref, seq, writer)
        self.popularity = tuple(p.spec.popularity for p in ref.products)
        self.fallback = tuple(i for i, p in enumerate(ref.products) if p.spec.category == "broadband")
        self.offer_by_product = {o.product_id: o for o in ref.offers}
        self.offer_queues = tuple(ref.queue_ids[name] for name in OFFER_QUEUES if name in ref.queue_ids)
        writer.register("holding", HOLDING_COLUMNS)
        writer.register("offer_response", OFFER_RESPONSE_COLUMNS)

    def make(self, facts: Facts) -> list[int]:
        """Write the customer's holdings; return the product indexes owned."""
        rand = self.rng.random
        owned = [i for i, p in enumerate(self.popularity) if rand() < p]
        if not owned:
            owned.append(self.fallback[int(rand() * len(self.fallback))])
        since: dict[int, float] = {}
        span = self.clock.now - facts.created
        for i in owned:
            since[i] = facts.created + span * rand()
        for antecedent in list(owned):
            planted = self.ref.planted.get(antecedent)
            if planted is not None and planted[0] not in since and rand() < planted[1]:
                consequent = planted[0]
                owned.append(consequent)
                since[consequent] = since[antecedent] + (self.clock.now - since[antecedent]) * rand()
        rows = self.writer.rows("holding")
        fmt = self.clock.fmt
        now = self.clock.now
        for i in owned:
            product = self.ref.products[i]
            stamp = fmt(since[i])
            price = round(product.spec.list_price * (0.8 + 0.2 * rand()), 2)
            renews = renewal(since[i], product.spec.contract_months, now)
            rows.append(
                (
                    self.new_id(),
                    1,
                    self.seq,
                    None,
                    stamp,
                    facts.id,
                    product.id,
                    _CHANNELS.pick(rand()),
                    price,
                    stamp,
                    fmt(renews) if renews is not None else None,
                )
            )
        return owned

    def _eligible(self, facts: Facts, offer: SeededOffer, owned_ids: set[str]) -> bool:
        return (
            not offer.sensitive
            and offer.valid_from < self.clock.now - DAY
            and offer.product_id not in owned_ids
            and (not offer.regions or facts.country.code in offer.regions)
            and (not offer.segments or facts.segment in offer.segments)
        )

    def responses(self, facts: Facts, owned: list[int]) -> None:
        """Offer responses of customers who may be marketed to (about a third of them)."""
        rand = self.rng.random
        if not facts.marketing or rand() >= 0.35:
            return
        owned_ids = {self.ref.products[i].id for i in owned}
        candidates: list[SeededOffer] = []
        for i in owned:  # offers the affinity model would make: the planted consequents first
            planted = self.ref.planted.get(i)
            if planted is not None:
                offer = self.offer_by_product.get(self.ref.products[planted[0]].id)
                if offer is not None and self._eligible(facts, offer, owned_ids):
                    candidates.append(offer)
        offers = self.ref.offers
        while len(candidates) < 3:
            offer = offers[int(rand() * len(offers))]
            if self._eligible(facts, offer, owned_ids) and offer not in candidates:
                candidates.append(offer)
            elif rand() < 0.2:
                break
        rows = self.writer.rows("offer_response")
        now = self.clock.now
        for offer in candidates[: 1 + int(rand() * 2)]:
            response = _RESPONSES.pick(rand())
            reason = DECLINE_REASONS[int(rand() * len(DECLINE_REASONS))] if response == "declined" else None
            start = max(offer.valid_from, now - 400 * DAY)
            at = start + (min(offer.valid_to, now) - start) * (1 - rand() ** 2)
            stamp = self.clock.fmt(at)
            channel = _RESPONSE_CHANNELS.pick(rand())
            # the queue follows from the moment (no extra draw: the other rows stay as they were)
            queue = (
                self.offer_queues[int(at) % len(self.offer_queues)]
                if channel == "phone" and self.offer_queues
                else None
            )
            rows.append(
                (
                    self.new_id(),
                    1,
                    self.seq,
                    None,
                    stamp,
                    facts.id,
                    offer.id,
                    None,
                    channel,
                    response,
                    reason,
                    stamp,
                    queue,
                )
            )
