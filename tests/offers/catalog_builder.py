"""Builds a small, hand-counted catalog with customers' baskets in a real database (through the ChangeWriter)."""

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from server.db.engine import Database
from server.sync.changes import ChangeWriter


def new_id() -> str:
    return str(uuid.uuid4())


@dataclass
class Catalog:
    """Names → ids of what was written, so tests speak in product names."""

    db: Database
    territory: str = field(default_factory=new_id)
    product: dict[str, str] = field(default_factory=dict)
    offer: dict[str, str] = field(default_factory=dict)
    customer: dict[str, str] = field(default_factory=dict)

    def name_of_product(self, product_id: str) -> str:
        return next(name for name, pid in self.product.items() if pid == product_id)

    def name_of_offer(self, offer_id: str) -> str:
        return next(name for name, oid in self.offer.items() if oid == offer_id)


def build_catalog(
    db: Database,
    products: Mapping[str, tuple[str, bool]],
    offers: Mapping[str, tuple[str, bool]],
    baskets: Mapping[str, Iterable[str]],
    responses: Iterable[tuple[str, str, str]] = (),
) -> Catalog:
    """products: name → (category, sensitive); offers: product name → (category, sensitive);
    baskets: customer name → product names held; responses: (customer, offered product, response)."""
    cat = Catalog(db)
    with db.write() as conn:
        w = ChangeWriter(conn)
        w.insert("territory", {"id": cat.territory, "name": "Test", "country": "GB"})
        for name, (category, sensitive) in products.items():
            cat.product[name] = new_id()
            w.insert(
                "product",
                {
                    "id": cat.product[name],
                    "sku": name,
                    "name": name,
                    "category": category,
                    "sensitive": sensitive,
                },
            )
        for name, (category, sensitive) in offers.items():
            cat.offer[name] = new_id()
            w.insert(
                "offer",
                {
                    "id": cat.offer[name],
                    "product_id": cat.product[name],
                    "title": f"Offer {name}",
                    "price": 10.0,
                    "category": category,
                    "sensitive": sensitive,
                    "regions": [],
                    "segments": [],
                },
            )
        for customer, held in baskets.items():
            cat.customer[customer] = new_id()
            w.insert(
                "customer",
                {"id": cat.customer[customer], "display_name": customer, "territory_id": cat.territory},
            )
            for product in held:
                w.insert(
                    "holding",
                    {
                        "id": new_id(),
                        "customer_id": cat.customer[customer],
                        "product_id": cat.product[product],
                    },
                )
        for customer, product, response in responses:
            w.insert(
                "offer_response",
                {
                    "id": new_id(),
                    "customer_id": cat.customer[customer],
                    "offer_id": cat.offer[product],
                    "response": response,
                    "at": "2026-11-01T10:00:00+00:00",
                },
            )
    return cat
