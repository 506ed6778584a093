"""Support, confidence and lift of the affinity model equal efficient-apriori's on the same baskets."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from efficient_apriori import apriori
from sqlalchemy import select

from server.db import tables as t
from server.db.bootstrap import initialize
from server.db.engine import Database
from server.offers.affinity import compute_rules, recompute
from server.offers.catalog import load_catalog
from server.offers.settings import ModelSettings
from server.seed import run_seed
from tests.offers.catalog_builder import build_catalog

#: every rule, however weak: the comparison covers all pairs
EVERYTHING = ModelSettings(min_support=0.0, min_lift=0.0, min_pair_count=1, sensitive_categories=frozenset())

PRODUCTS = {
    "fibre": ("broadband", False),
    "mesh": ("smart home", False),
    "tv": ("tv", False),
    "sports": ("tv", False),
    "fan": ("cooling", False),
    "watch": ("health", True),
}
OFFERS = {name: spec for name, spec in PRODUCTS.items() if name != "fibre"}
BASKETS = {
    "c1": ["fibre", "mesh"],
    "c2": ["fibre", "mesh", "tv"],
    "c3": ["fibre", "tv"],
    "c4": ["mesh", "tv", "sports"],
    "c5": ["fibre", "mesh", "sports"],
    "c6": ["sports", "watch"],
    "c7": ["fibre", "watch", "mesh"],
    "c8": ["tv"],
    "c9": ["fibre", "mesh"],
    "c10": ["fan", "tv", "sports"],
    "c11": ["fibre"],
}
#: c9 accepted the sports offer (a purchase: it joins the basket); c8's decline changes nothing
RESPONSES = [("c9", "sports", "accepted"), ("c8", "mesh", "declined"), ("c11", "tv", "not_now")]


def _apriori_rules(baskets: list[tuple[str, ...]]) -> dict[tuple[str, str], tuple[float, float, float]]:
    _, rules = apriori(baskets, min_support=1e-9, min_confidence=0.0, max_length=2)
    return {(r.lhs[0], r.rhs[0]): (r.support, r.confidence, r.lift) for r in rules}


def test_hand_made_baskets_equal_apriori(backend: str) -> None:
    db = Database(backend)
    try:
        cat = build_catalog(db, PRODUCTS, OFFERS, BASKETS, RESPONSES)
        with db.read() as conn:
            model = compute_rules(conn, EVERYTHING)
    finally:
        db.dispose()
    baskets = {c: set(held) for c, held in BASKETS.items()}
    baskets["c9"].add("sports")
    expected = _apriori_rules([tuple(sorted(b)) for b in baskets.values()])
    got = {
        (cat.name_of_product(r.antecedent_product_id), cat.name_of_offer(r.offer_id)): (
            r.support,
            r.confidence,
            r.lift,
        )
        for r in model.rules
    }
    assert model.baskets == len(BASKETS)
    # the model's rules are apriori's rules whose consequent has an offer and no side is sensitive
    wanted = {k: v for k, v in expected.items() if k[1] in OFFERS and "watch" not in k}
    assert set(got) == set(wanted)
    assert len(got) > 10
    for key, values in wanted.items():
        assert got[key] == pytest.approx(values, rel=1e-12), key
    # spot check one rule by hand: fibre → mesh: 5 of 11 baskets hold both, 7 hold fibre, 6 mesh
    assert got[("fibre", "mesh")] == pytest.approx((5 / 11, 5 / 7, (5 / 7) / (6 / 11)))


def test_thresholds_drop_weak_and_rare_rules(backend: str) -> None:
    db = Database(backend)
    try:
        cat = build_catalog(db, PRODUCTS, OFFERS, BASKETS, RESPONSES)
        strict = ModelSettings(min_support=0.3, min_lift=1.2, min_pair_count=3)
        with db.read() as conn:
            rules = compute_rules(conn, strict).rules
            every = compute_rules(conn, EVERYTHING).rules
    finally:
        db.dispose()
    kept = {(cat.name_of_product(r.antecedent_product_id), cat.name_of_offer(r.offer_id)) for r in rules}
    assert kept == {
        (cat.name_of_product(r.antecedent_product_id), cat.name_of_offer(r.offer_id))
        for r in every
        if r.support >= 0.3 and r.lift >= 1.2 and r.count >= 3
    }
    assert ("fibre", "mesh") in kept
    assert len(kept) < len(every)


NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def test_seeded_baskets_equal_apriori_and_find_the_planted_pairs(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'seed.db'}")
    try:
        initialize(db)
        run_seed(db, customers=600, seed=3, now=NOW)
        settings = ModelSettings()
        with db.read() as conn:
            model = compute_rules(conn, settings)
            catalog = load_catalog(conn, settings.sensitive_categories)
            sku = {row[0]: row[1] for row in conn.execute(select(t.product.c.id, t.product.c.sku))}
            offer_sku = {o: sku[p] for o, p in catalog.offers.items()}
            held: dict[str, set[str]] = {}
            for customer, product in conn.execute(select(t.holding.c.customer_id, t.holding.c.product_id)):
                held.setdefault(customer, set()).add(sku[product])
            accepted = select(t.offer_response.c.customer_id, t.offer_response.c.offer_id).where(
                t.offer_response.c.response == "accepted"
            )
            offer_product = {
                row[0]: row[1] for row in conn.execute(select(t.offer.c.id, t.offer.c.product_id))
            }
            for customer, offer in conn.execute(accepted):
                held.setdefault(customer, set()).add(sku[offer_product[offer]])
            seeded_rows = conn.execute(select(t.affinity)).all()
        report = recompute(db, settings)
    finally:
        db.dispose()
    expected = _apriori_rules([tuple(sorted(b)) for b in held.values()])
    assert model.baskets == len(held)
    assert model.rules, "the seeded data must give rules"
    for rule in model.rules:
        key = (sku[rule.antecedent_product_id], offer_sku[rule.offer_id])
        assert (rule.support, rule.confidence, rule.lift) == pytest.approx(expected[key], rel=1e-12), key
    found = {(sku[r.antecedent_product_id], offer_sku[r.offer_id]) for r in model.rules}
    usable = {sku[p] for p in catalog.antecedents}
    n = len(held)
    assert found == {
        (a, c)
        for (a, c), (support, _, lift) in expected.items()
        if a in usable
        and c in set(offer_sku.values())
        and support >= settings.min_support
        and lift >= settings.min_lift
        and round(support * n) >= settings.min_pair_count
    }
    assert {("BB-FIB500", "SH-MESH"), ("MOB-UNL5G", "INS-DEVICE")} <= found
    # the seed wrote this very model; recomputing the same data changes nothing
    assert len(seeded_rows) == len(model.rules)
    assert (report.inserted, report.updated, report.deleted) == (0, 0, 0)
