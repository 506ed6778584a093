"""The catalog as the affinity model sees it: which products and offers may take part in a rule.

"Never creepy": a product or offer that is flagged sensitive, or whose category is sensitive,
never drives a recommendation (antecedent) and is never recommended by association (consequent).
A category is sensitive when the settings name it or when any product or offer in it is flagged.
"""

from dataclasses import dataclass

from sqlalchemy import Connection, select

from server.db import tables as t


@dataclass(frozen=True, slots=True)
class ModelCatalog:
    #: products that may be an antecedent (live, not sensitive)
    antecedents: frozenset[str]
    #: offer id → its product id, for live offers that may be a consequent
    offers: dict[str, str]
    #: every sensitive category (configured and flagged)
    sensitive_categories: frozenset[str]
    #: products and offers left out for sensitivity (for the report)
    excluded_products: frozenset[str]
    excluded_offers: frozenset[str]

    @property
    def consequents(self) -> frozenset[str]:
        return frozenset(self.offers.values())


def load_catalog(conn: Connection, configured: frozenset[str]) -> ModelCatalog:
    """Live products and offers split into those the model may use and those it must not."""
    p, o = t.product, t.offer
    products = conn.execute(select(p.c.id, p.c.category, p.c.sensitive).where(p.c.deleted_at.is_(None))).all()
    offers = conn.execute(
        select(o.c.id, o.c.product_id, o.c.category, o.c.sensitive).where(o.c.deleted_at.is_(None))
    ).all()
    flagged = {row.category for row in (*products, *offers) if row.sensitive and row.category}
    sensitive = frozenset(configured | flagged)
    bad_products = frozenset(r.id for r in products if r.sensitive or r.category in sensitive)
    live_products = {r.id for r in products}
    usable_offers: dict[str, str] = {}
    bad_offers: set[str] = set()
    for r in offers:
        if r.sensitive or r.category in sensitive or r.product_id in bad_products:
            bad_offers.add(r.id)
        elif r.product_id in live_products:
            usable_offers[r.id] = r.product_id
    return ModelCatalog(
        antecedents=frozenset(live_products - bad_products),
        offers=usable_offers,
        sensitive_categories=sensitive,
        excluded_products=bad_products,
        excluded_offers=frozenset(bad_offers),
    )


def blocked_pairs(conn: Connection) -> frozenset[tuple[str, str]]:
    """(antecedent product id, consequent product id) pairs an admin ruled out."""
    b = t.affinity_block
    return frozenset(
        (str(a), str(c))
        for a, c in conn.execute(select(b.c.antecedent_product_id, b.c.consequent_product_id))
    )
