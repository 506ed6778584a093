"""A small offer catalog as plain values, for the ranking tests (names after server/seed/catalog.py).

Products and offers are keyed by SKU-like ids so a failing assertion reads well. `NOW` is the clock
every test stands at; `days(n)` is a time n days from it.
"""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from desktop.services.offers_model import (
    AffinityFact,
    CustomerFacts,
    HoldingFact,
    OfferFact,
    OfferModel,
    ProductFact,
    RegionSignalFact,
)

NOW = datetime(2026, 7, 15, 10, 0, tzinfo=UTC)


def days(n: float) -> datetime:
    return NOW + timedelta(days=n)


PRODUCTS = (
    ProductFact("BB-FIB500", "Fibre 500", "broadband", False),
    ProductFact("BB-FIB1000", "Fibre 1000", "broadband", False),
    ProductFact("SH-MESH", "Mesh Wi-Fi", "smart home", False),
    ProductFact("SH-THERMO", "Smart Thermostat", "smart home", False),
    ProductFact("EN-GREEN", "Green Energy Tariff", "energy", False),
    ProductFact("MOB-UNL5G", "Unlimited 5G SIM", "mobile", False),
    ProductFact("INS-DEVICE", "Device Care", "insurance", False),
    ProductFact("CL-FAN", "Tower Fan", "cooling", False),
    ProductFact("CL-AC-PORT", "Portable Air Conditioner", "cooling", False),
    ProductFact("HL-WATCH", "Health Monitor Watch", "health", True),
    ProductFact("HL-HEARING", "Hearing Care Plan", "health", True),
)
SENSITIVE_NAMES = ("Health Monitor Watch", "Hearing Care Plan")


def offer(
    product_id: str,
    price: float,
    *,
    category: str,
    margin: float = 0.3,
    regions: tuple[str, ...] = (),
    segments: tuple[str, ...] = (),
    valid_from: datetime | None = None,
    valid_to: datetime | None = None,
    sensitive: bool = False,
) -> OfferFact:
    return OfferFact(
        id=f"o-{product_id}",
        product_id=product_id,
        title=f"Offer of {product_id}",
        pitch="",
        price=price,
        currency="EUR",
        category=category,
        sensitive=sensitive,
        regions=frozenset(regions),
        segments=frozenset(segments),
        valid_from=valid_from,
        valid_to=valid_to,
        margin=margin,
    )


OFFERS = (
    offer("SH-MESH", 8.0, category="smart home", margin=0.55),
    offer("INS-DEVICE", 7.0, category="insurance", margin=0.6),
    offer("EN-GREEN", 82.0, category="energy", margin=0.08, regions=("GB", "DE", "ES")),
    offer("BB-FIB1000", 49.0, category="broadband", margin=0.4),
    offer("SH-THERMO", 179.0, category="smart home", margin=0.3),
    offer("CL-FAN", 59.0, category="cooling", margin=0.35, regions=("ES", "FR")),
    offer("CL-AC-PORT", 349.0, category="cooling", margin=0.25, regions=("ES", "FR")),
    offer("HL-HEARING", 16.0, category="health", margin=0.4, sensitive=True),
)


def affinity(antecedent: str, consequent: str, lift: float) -> AffinityFact:
    return AffinityFact(antecedent, f"o-{consequent}", support=0.05, confidence=0.5, lift=lift)


AFFINITIES = (
    affinity("BB-FIB500", "SH-MESH", 3.1),
    affinity("MOB-UNL5G", "INS-DEVICE", 2.4),
    affinity("SH-THERMO", "EN-GREEN", 2.8),
)

HEATWAVE = RegionSignalFact(
    id="sig-heat",
    region="Andalusia",
    kind="heatwave",
    label="Heatwave forecast in Andalusia",
    categories=frozenset({"cooling"}),
    boost=1.8,
    valid_from=days(-2),
    valid_to=days(10),
)


def model(
    *,
    offers: tuple[OfferFact, ...] = OFFERS,
    affinities: tuple[AffinityFact, ...] = AFFINITIES,
    signals: tuple[RegionSignalFact, ...] = (HEATWAVE,),
) -> OfferModel:
    return OfferModel.build(offers, PRODUCTS, affinities, signals)


def holding(product_id: str, since_days: float = -30, renews_days: float | None = None) -> HoldingFact:
    return HoldingFact(product_id, days(since_days), None if renews_days is None else days(renews_days))


CUSTOMER = CustomerFacts(
    id="c-1",
    consent_marketing=True,
    do_not_contact=False,
    country="ES",
    region="Andalusia",
    segment="consumer",
    holdings=(holding("BB-FIB500"),),
)


def customer(**changes: object) -> CustomerFacts:
    return replace(CUSTOMER, **changes)  # type: ignore[arg-type]
