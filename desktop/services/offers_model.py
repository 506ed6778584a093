"""The plain values recommended offers are ranked from, and the result of a ranking (Qt-free).

`OfferModel` is the reference side, synced in the `ref` scope and the same for every customer:
the offer catalog, the products, the affinity table and the region signals. It is built once per
session (`offers_load.load_model`) and indexed for ranking: affinities by antecedent product,
sensitive categories as a set. `CustomerFacts` is what one customer adds: consent, region,
segment, holdings, earlier responses and resolved cases. Both are plain data, so the ranking
(`offers_rank.rank`) is a pure function a test or the benchmark can call without a cache.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

ResponseKind = Literal["accepted", "declined", "not_now"]
RESPONSES: tuple[ResponseKind, ...] = ("accepted", "declined", "not_now")
SignalKind = Literal["affinity", "region", "renewal", "case", "none"]


@dataclass(frozen=True, slots=True)
class OfferFact:
    """One catalog offer: its one price (whatever the channel) and who it may be made to."""

    id: str
    product_id: str
    title: str
    pitch: str
    price: float
    currency: str
    category: str
    sensitive: bool
    regions: frozenset[str]
    segments: frozenset[str]
    valid_from: datetime | None
    valid_to: datetime | None
    margin: float


@dataclass(frozen=True, slots=True)
class ProductFact:
    id: str
    name: str
    category: str
    sensitive: bool


@dataclass(frozen=True, slots=True)
class AffinityFact:
    """Owners of `antecedent_product_id` take `offer_id` `lift` times more often than customers at large."""

    antecedent_product_id: str
    offer_id: str
    support: float
    confidence: float
    lift: float


@dataclass(frozen=True, slots=True)
class RegionSignalFact:
    """A context signal for a region (a heatwave forecast…): raises offers of `categories` by `boost`."""

    id: str
    region: str
    kind: str
    label: str
    categories: frozenset[str]
    boost: float
    valid_from: datetime | None
    valid_to: datetime | None

    def active(self, now: datetime) -> bool:
        return (self.valid_from is None or self.valid_from <= now) and (
            self.valid_to is None or now <= self.valid_to
        )


@dataclass(frozen=True, slots=True)
class OfferModel:
    """The reference data ranking needs, indexed; build it with `OfferModel.build`."""

    offers: tuple[OfferFact, ...]
    products: Mapping[str, ProductFact]
    #: antecedent product id → its affinities
    affinities: Mapping[str, tuple[AffinityFact, ...]]
    signals: tuple[RegionSignalFact, ...]
    #: categories any product or offer marks sensitive (compared case-insensitively)
    sensitive_categories: frozenset[str]

    @classmethod
    def build(
        cls,
        offers: Iterable[OfferFact],
        products: Iterable[ProductFact],
        affinities: Iterable[AffinityFact],
        signals: Iterable[RegionSignalFact] = (),
    ) -> "OfferModel":
        offer_list = tuple(sorted(offers, key=lambda o: o.id))
        product_map = {p.id: p for p in products}
        by_antecedent: dict[str, list[AffinityFact]] = {}
        for affinity in affinities:
            by_antecedent.setdefault(affinity.antecedent_product_id, []).append(affinity)
        sensitive = {p.category.casefold() for p in product_map.values() if p.sensitive and p.category}
        sensitive |= {o.category.casefold() for o in offer_list if o.sensitive and o.category}
        return cls(
            offers=offer_list,
            products=product_map,
            affinities={k: tuple(v) for k, v in by_antecedent.items()},
            signals=tuple(signals),
            sensitive_categories=frozenset(sensitive),
        )

    def product_is_sensitive(self, product_id: str) -> bool:
        """A product this build cannot vouch for (unknown, or in a sensitive category) counts as sensitive."""
        product = self.products.get(product_id)
        return (
            product is None or product.sensitive or product.category.casefold() in self.sensitive_categories
        )

    def offer_is_sensitive(self, offer: OfferFact) -> bool:
        product = self.products.get(offer.product_id)
        return (
            offer.sensitive
            or offer.category.casefold() in self.sensitive_categories
            or (
                product is not None
                and (product.sensitive or product.category.casefold() in self.sensitive_categories)
            )
        )


@dataclass(frozen=True, slots=True)
class HoldingFact:
    product_id: str
    since: datetime | None
    renews_at: datetime | None


@dataclass(frozen=True, slots=True)
class ResponseFact:
    offer_id: str
    response: ResponseKind
    at: datetime | None


@dataclass(frozen=True, slots=True)
class ResolvedCase:
    number: str
    resolved_at: datetime


@dataclass(frozen=True, slots=True)
class CustomerFacts:
    """What ranking needs to know about one customer."""

    id: str
    consent_marketing: bool
    do_not_contact: bool
    country: str
    region: str
    segment: str
    holdings: tuple[HoldingFact, ...] = ()
    responses: tuple[ResponseFact, ...] = ()
    resolved_cases: tuple[ResolvedCase, ...] = ()


@dataclass(frozen=True, slots=True)
class Signal:
    """One reason an offer is raised: its multiplier on the score and the line that says so."""

    kind: SignalKind
    factor: float
    reason: str


@dataclass(frozen=True, slots=True)
class RankedOffer:
    """An offer worth making: the score's parts and the one reason line (its strongest signal)."""

    offer: OfferFact
    score: float
    lift: float
    boost: float
    recency: float
    fatigue: float
    strongest: Signal
    signals: tuple[Signal, ...] = ()

    @property
    def reason(self) -> str:
        return self.strongest.reason


@dataclass(frozen=True, slots=True)
class FilteredOffer:
    """An offer not shown, and why (for `liaison offers` and for tests)."""

    offer: OfferFact
    why: str
    score: float | None = None


@dataclass(frozen=True, slots=True)
class Ranking:
    """At most three offers, best first, and every other offer with why. `notice` says plainly why no
    offer is shown (None when some are); `blocked` is true when the customer may get no offers at all
    (no marketing consent, do-not-contact)."""

    customer_id: str
    offers: tuple[RankedOffer, ...] = ()
    filtered: tuple[FilteredOffer, ...] = field(default_factory=tuple)
    notice: str | None = None
    blocked: bool = False
