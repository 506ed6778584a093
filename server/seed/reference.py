"""Writing the reference data (territories, queues, disposition codes, products, offers, signals)."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Table, insert

from server.db import tables as t
from server.seed.catalog import (
    GLOBAL_DISPOSITIONS,
    OFFERS,
    PLANTED,
    PRODUCTS,
    QUEUES,
    SIGNALS,
    ProductSpec,
)
from server.seed.ids import DAY, Clock
from server.seed.places import COUNTRIES


@dataclass(frozen=True, slots=True)
class SeededProduct:
    id: str
    spec: ProductSpec


@dataclass(frozen=True, slots=True)
class SeededOffer:
    id: str
    product_id: str
    sku: str
    regions: tuple[str, ...]
    segments: tuple[str, ...]
    sensitive: bool
    valid_from: float
    valid_to: float


@dataclass(frozen=True, slots=True)
class Reference:
    """The ids of the reference rows, for the generators of customers and history."""

    territory_by_country: dict[str, str]
    queue_ids: dict[str, str]
    dispositions: dict[str, tuple[str, ...]]
    products: tuple[SeededProduct, ...]
    offers: tuple[SeededOffer, ...]
    #: product index → (consequent product index, probability)
    planted: dict[int, tuple[int, float]]


def _insert(conn: Connection, table: Table, rows: list[dict[str, Any]], counts: dict[str, int]) -> None:
    conn.execute(insert(table), rows)
    counts[table.name] = counts.get(table.name, 0) + len(rows)


def write_reference(
    conn: Connection, new_id: Callable[[], str], clock: Clock, seq: int, counts: dict[str, int]
) -> Reference:
    """Insert the reference rows (version 1, `last_modified_seq` = seq); return their ids."""
    now = clock.iso(clock.now)
    sync = {"version": 1, "last_modified_seq": seq, "deleted_at": None, "updated_at": now}

    territories = {c.code: new_id() for c in COUNTRIES}
    _insert(
        conn,
        t.territory,
        [{**sync, "id": territories[c.code], "name": c.territory, "country": c.code} for c in COUNTRIES],
        counts,
    )

    queue_ids = {q.name: new_id() for q in QUEUES}
    _insert(
        conn,
        t.queue,
        [
            {
                **sync,
                "id": queue_ids[q.name],
                "name": q.name,
                "channel": q.channel,
                "sl_threshold_s": q.sl_threshold_s,
                "sl_target": q.sl_target,
            }
            for q in QUEUES
        ],
        counts,
    )

    dispositions: dict[str, tuple[str, ...]] = {}
    codes: list[dict[str, Any]] = []
    for q in QUEUES:
        dispositions[queue_ids[q.name]] = tuple(code for code, _ in q.dispositions)
        codes += [
            {**sync, "id": new_id(), "queue_id": queue_ids[q.name], "code": code, "label": label}
            for code, label in q.dispositions
        ]
    codes += [
        {**sync, "id": new_id(), "queue_id": None, "code": code, "label": label}
        for code, label in GLOBAL_DISPOSITIONS
    ]
    _insert(conn, t.disposition_code, codes, counts)

    products = tuple(SeededProduct(new_id(), spec) for spec in PRODUCTS)
    _insert(
        conn,
        t.product,
        [
            {
                **sync,
                "id": p.id,
                "sku": p.spec.sku,
                "name": p.spec.name,
                "category": p.spec.category,
                "sensitive": p.spec.sensitive,
                "list_price": p.spec.list_price,
                "margin": p.spec.margin,
            }
            for p in products
        ],
        counts,
    )
    by_sku = {p.spec.sku: p for p in products}
    index = {p.spec.sku: i for i, p in enumerate(products)}

    offers: list[SeededOffer] = []
    offer_rows: list[dict[str, Any]] = []
    for spec in OFFERS:
        product = by_sku[spec.sku].spec
        offer = SeededOffer(
            new_id(),
            by_sku[spec.sku].id,
            spec.sku,
            spec.regions,
            spec.segments,
            product.sensitive,
            clock.now + spec.valid_from_days * DAY,
            clock.now + spec.valid_to_days * DAY,
        )
        offers.append(offer)
        offer_rows.append(
            {
                **sync,
                "id": offer.id,
                "product_id": offer.product_id,
                "title": spec.title,
                "pitch": spec.pitch,
                "price": spec.price,
                "currency": "EUR",
                "category": product.category,
                "sensitive": product.sensitive,
                "regions": list(spec.regions),
                "segments": list(spec.segments),
                "valid_from": clock.iso(offer.valid_from),
                "valid_to": clock.iso(offer.valid_to),
                "margin": round(product.margin * spec.price / product.list_price, 3),
            }
        )
    _insert(conn, t.offer, offer_rows, counts)

    _insert(
        conn,
        t.region_signal,
        [
            {
                **sync,
                "id": new_id(),
                "region": spec.region,
                "kind": spec.kind,
                "label": spec.label,
                "categories": list(spec.categories),
                "boost": spec.boost,
                "valid_from": clock.iso(clock.now + spec.valid_from_days * DAY),
                "valid_to": clock.iso(clock.now + spec.valid_to_days * DAY),
            }
            for spec in SIGNALS
        ],
        counts,
    )

    planted = {index[a]: (index[b], p) for a, (b, p) in PLANTED.items()}
    return Reference(territories, queue_ids, dispositions, products, tuple(offers), planted)
