"""The test catalog in a real cache file, as sync pages bring it (`apply_page` into `ref` and `directory`).

Ids are fixed UUID-like strings so the GUI and CLI tests can name them. `fill(cache)` writes the
products, offers (with the server's wire fields), affinities, a heatwave region signal and three
customers: `ANA` (consent, in Andalusia, holds Fibre 500 and a sensitive Health Monitor Watch),
`BEN` (no marketing consent) and `CARA` (do-not-contact).
"""

import itertools
from typing import Any

from desktop.services.store import Cache, apply_page
from tests.offers_desktop.catalog import NOW, days
from wire.fast import ValidatedChange
from wire.records import validate_record

ANA = "00000000-0000-4000-8000-00000000a001"
BEN = "00000000-0000-4000-8000-00000000a002"
CARA = "00000000-0000-4000-8000-00000000a003"
MESH_OFFER = "o-SH-MESH"
FAN_OFFER = "o-CL-FAN"
AC_OFFER = "o-CL-AC-PORT"

_seq = itertools.count(1)


def change(entity: str, row_id: str, version: int = 1, **fields: Any) -> ValidatedChange:
    return ValidatedChange(
        seq=next(_seq),
        entity=entity,
        id=row_id,
        op="upsert",
        version=version,
        record=validate_record(entity, fields),
        extra={},
    )


def iso(days_from_now: float) -> str:
    return days(days_from_now).isoformat()


_PRODUCTS = (
    ("BB-FIB500", "Fibre 500", "broadband", False, 39.0),
    ("SH-MESH", "Mesh Wi-Fi", "smart home", False, 10.0),
    ("CL-FAN", "Tower Fan", "cooling", False, 69.0),
    ("CL-AC-PORT", "Portable Air Conditioner", "cooling", False, 399.0),
    ("HL-WATCH", "Health Monitor Watch", "health", True, 249.0),
    ("INS-DEVICE", "Device Care", "insurance", False, 9.0),
)
#: (product, title, price, currency, category, regions, margin)
_OFFERS = (
    ("SH-MESH", "Add Mesh Wi-Fi", 8.0, "EUR", "smart home", [], 0.55),
    ("CL-FAN", "Beat the heat: Tower Fan", 59.0, "EUR", "cooling", ["ES", "FR"], 0.35),
    ("CL-AC-PORT", "Portable Air Conditioner", 349.0, "EUR", "cooling", ["ES", "FR"], 0.25),
    ("INS-DEVICE", "Protect your phone", 7.0, "EUR", "insurance", [], 0.6),
)


def ref_changes() -> list[ValidatedChange]:
    rows = [
        change("product", f"p-{sku}", sku=sku, name=name, category=cat, sensitive=sens, list_price=price)
        for sku, name, cat, sens, price in _PRODUCTS
    ]
    rows += [
        change(
            "offer",
            f"o-{sku}",
            product_id=f"p-{sku}",
            title=title,
            pitch="",
            price=price,
            currency=currency,
            category=cat,
            regions=regions,
            segments=[],
            valid_from=iso(-60),
            valid_to=iso(120),
            margin=margin,
        )
        for sku, title, price, currency, cat, regions, margin in _OFFERS
    ]
    rows += [
        change(
            "affinity",
            "a-1",
            antecedent_product_id="p-BB-FIB500",
            offer_id=MESH_OFFER,
            support=0.05,
            confidence=0.6,
            lift=3.1,
        ),
        # as if the server had let a sensitive pair through: the desktop must still ignore it
        change(
            "affinity",
            "a-2",
            antecedent_product_id="p-HL-WATCH",
            offer_id="o-INS-DEVICE",
            support=0.01,
            confidence=0.9,
            lift=9.0,
        ),
        change(
            "region_signal",
            "s-heat",
            region="Andalusia",
            kind="heatwave",
            label="Heatwave forecast in Andalusia",
            categories=["cooling"],
            boost=1.8,
            valid_from=iso(-2),
            valid_to=iso(10),
        ),
    ]
    return rows


def customer_changes() -> list[ValidatedChange]:
    def person(cid: str, name: str, **fields: Any) -> ValidatedChange:
        values = {"display_name": name, "territory_id": "t1", "country": "ES", "region": "Andalusia"}
        return change("customer", cid, **{**values, **fields})

    return [
        person(ANA, "Ana Torres", consent_marketing=True),
        person(BEN, "Ben Ortiz", consent_marketing=False),
        person(CARA, "Cara Ruiz", consent_marketing=True, do_not_contact=True),
        change(
            "holding",
            "h-1",
            customer_id=ANA,
            product_id="p-BB-FIB500",
            price_paid=31.0,
            since=iso(-20),
            renews_at=iso(200),
        ),
        change("holding", "h-2", customer_id=ANA, product_id="p-HL-WATCH", price_paid=199.0, since=iso(-3)),
        change("holding", "h-3", customer_id=BEN, product_id="p-BB-FIB500", since=iso(-20)),
    ]


def fill(cache: Cache) -> None:
    apply_page(cache.writer, "ref", ref_changes(), "r1", primed=True)
    apply_page(cache.writer, "directory", customer_changes(), "d1", primed=True)


__all__ = ["AC_OFFER", "ANA", "BEN", "CARA", "FAN_OFFER", "MESH_OFFER", "NOW", "fill"]
