"""Basket counts in SQL: how many customers own each product, and each pair of products.

A customer's basket is the set of products they hold (live holdings) plus the products of offers
they accepted (an accepted offer is a purchase even before the holding arrives from billing).
Declines and "not now" answers do not change a basket. Counting is a GROUP BY over a self-join
of the baskets per customer, done by the database: the work grows with the pairs inside each
basket, never with the square of the number of customers.
"""

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select, union
from sqlalchemy.sql.selectable import CTE

from server.db import tables as t


@dataclass(frozen=True, slots=True)
class BasketCounts:
    #: baskets (customers owning at least one product)
    baskets: int
    #: product id → baskets holding it
    items: dict[str, int]
    #: (antecedent product id, consequent product id) → baskets holding both
    pairs: dict[tuple[str, str], int]


def basket_cte() -> CTE:
    """(customer_id, product_id), distinct: live customers' live holdings and accepted offers."""
    h, r, o, c = t.holding, t.offer_response, t.offer, t.customer
    held = (
        select(h.c.customer_id.label("customer_id"), h.c.product_id.label("product_id"))
        .select_from(h.join(c, c.c.id == h.c.customer_id))
        .where(h.c.deleted_at.is_(None), c.c.deleted_at.is_(None))
    )
    accepted = (
        select(r.c.customer_id.label("customer_id"), o.c.product_id.label("product_id"))
        .select_from(r.join(o, o.c.id == r.c.offer_id).join(c, c.c.id == r.c.customer_id))
        .where(r.c.response == "accepted", r.c.deleted_at.is_(None), c.c.deleted_at.is_(None))
    )
    return union(held, accepted).cte("basket")


def count_baskets(
    conn: Connection, antecedents: Collection[str], consequents: Collection[str]
) -> BasketCounts:
    """Count baskets, items and the pairs (antecedent → consequent) among the given products."""
    basket = basket_cte()
    total: int = conn.execute(select(func.count(func.distinct(basket.c.customer_id)))).scalar_one()
    items = {
        str(product): int(n)
        for product, n in conn.execute(
            select(basket.c.product_id, func.count()).group_by(basket.c.product_id)
        )
    }
    pairs: dict[tuple[str, str], int] = {}
    if antecedents and consequents:
        a = basket.alias("a")
        b = basket.alias("b")
        query: Any = (
            select(a.c.product_id, b.c.product_id, func.count())
            .select_from(a.join(b, a.c.customer_id == b.c.customer_id))
            .where(
                a.c.product_id != b.c.product_id,
                a.c.product_id.in_(sorted(antecedents)),
                b.c.product_id.in_(sorted(consequents)),
            )
            .group_by(a.c.product_id, b.c.product_id)
        )
        pairs = {(str(x), str(y)): int(n) for x, y, n in conn.execute(query)}
    return BasketCounts(total, items, pairs)
