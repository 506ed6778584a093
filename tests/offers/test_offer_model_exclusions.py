"""Never creepy: sensitive products and offers take no part in a rule; blocked pairs are left out;
a recomputation writes only the difference, through the change log, so desktops follow it."""

from collections.abc import Iterator

import pytest
from sqlalchemy import func, insert, select

from server.db import tables as t
from server.db.engine import Database
from server.db.types import iso, utcnow
from server.offers.affinity import compute_rules, recompute
from server.offers.settings import ModelSettings
from server.sync.changes import ChangeWriter
from tests.offers.catalog_builder import Catalog, build_catalog, new_id

LOOSE = ModelSettings(min_support=0.0, min_lift=0.0, min_pair_count=1, sensitive_categories=frozenset())

PRODUCTS = {
    "fibre": ("broadband", False),
    "mesh": ("smart home", False),
    "watch": ("health", True),  # flagged: its category becomes sensitive
    "pharma": ("health", False),  # not flagged, but in a sensitive category
    "hearing": ("health", False),
    "fan": ("cooling", False),
    "tv": ("tv", False),
}
OFFERS = {
    "mesh": ("smart home", False),
    "watch": ("health", True),
    "pharma": ("health", False),
    "hearing": ("health", True),
    "fan": ("cooling", False),
    "tv": ("tv", False),
}
#: the sensitive products go together with everything: only the exclusion can keep them out
BASKETS = {
    f"c{i}": basket
    for i, basket in enumerate(
        [
            ["fibre", "mesh", "watch", "pharma"],
            ["fibre", "mesh", "watch", "hearing"],
            ["watch", "mesh", "pharma", "fan"],
            ["watch", "pharma", "hearing", "tv"],
            ["fibre", "fan", "tv", "hearing"],
            ["fibre", "mesh", "tv"],
            ["mesh", "fan"],
            ["tv", "watch"],
        ]
    )
}
SENSITIVE = {"watch", "pharma", "hearing"}


@pytest.fixture
def catalog(backend: str) -> Iterator[Catalog]:
    db = Database(backend)
    try:
        yield build_catalog(db, PRODUCTS, OFFERS, BASKETS, [("c6", "pharma", "accepted")])
    finally:
        db.dispose()


def _pairs(cat: Catalog, settings: ModelSettings) -> set[tuple[str, str]]:
    with cat.db.read() as conn:
        rules = compute_rules(conn, settings).rules
    return {(cat.name_of_product(r.antecedent_product_id), cat.name_of_offer(r.offer_id)) for r in rules}


def test_sensitive_products_and_offers_never_drive_or_receive_a_rule(catalog: Catalog) -> None:
    pairs = _pairs(catalog, LOOSE)
    assert pairs, "the other products must still give rules"
    assert not {a for a, _ in pairs} & SENSITIVE
    assert not {o for _, o in pairs} & SENSITIVE
    assert ("fibre", "mesh") in pairs and ("mesh", "fan") in pairs


def test_a_configured_sensitive_category_is_excluded_on_both_sides(catalog: Catalog) -> None:
    settings = ModelSettings(
        min_support=0.0, min_lift=0.0, min_pair_count=1, sensitive_categories=frozenset({"cooling"})
    )
    pairs = _pairs(catalog, settings)
    assert "fan" not in {a for a, _ in pairs} | {o for _, o in pairs}
    assert ("fibre", "mesh") in pairs
    assert ("fan", "tv") in _pairs(catalog, LOOSE)


def _live_affinity(cat: Catalog) -> dict[tuple[str, str], str]:
    a = t.affinity
    with cat.db.read() as conn:
        rows = conn.execute(
            select(a.c.id, a.c.antecedent_product_id, a.c.offer_id).where(a.c.deleted_at.is_(None))
        ).all()
    return {(cat.name_of_product(r.antecedent_product_id), cat.name_of_offer(r.offer_id)): r.id for r in rows}


def _log(cat: Catalog, op: str) -> set[str]:
    log = t.change_log
    with cat.db.read() as conn:
        query = select(log.c.entity_id).where(log.c.entity == "affinity", log.c.op == op)
        return set(conn.execute(query).scalars())


def test_a_blocked_pair_is_left_out_and_its_row_deleted_through_the_change_log(catalog: Catalog) -> None:
    first = recompute(catalog.db, LOOSE)
    rows = _live_affinity(catalog)
    assert first.inserted == len(rows) == first.rules > 0
    assert _log(catalog, "upsert") == set(rows.values())
    with catalog.db.write() as conn:
        conn.execute(
            insert(t.affinity_block).values(
                antecedent_product_id=catalog.product["fibre"],
                consequent_product_id=catalog.product["mesh"],
                reason="test",
                created_at=iso(utcnow()),
            )
        )
    second = recompute(catalog.db, LOOSE)
    after = _live_affinity(catalog)
    assert ("fibre", "mesh") not in after
    assert (second.inserted, second.updated, second.deleted, second.blocked) == (0, 0, 1, 1)
    assert _log(catalog, "delete") == {rows[("fibre", "mesh")]}
    assert after == {k: v for k, v in rows.items() if k != ("fibre", "mesh")}
    # the deletion reached the `ref` scope's index, where desktops pull it from
    with catalog.db.read() as conn:
        scopes = conn.execute(
            select(t.change_scope.c.scope)
            .join(t.change_log, t.change_log.c.seq == t.change_scope.c.seq)
            .where(t.change_log.c.op == "delete", t.change_log.c.entity == "affinity")
        ).scalars()
        assert set(scopes) == {"ref"}
        assert conn.execute(select(func.count()).select_from(t.affinity)).scalar_one() == len(rows)


def test_new_holdings_update_the_rules_they_change(catalog: Catalog) -> None:
    recompute(catalog.db, LOOSE)
    before = _live_affinity(catalog)
    build_more = {"fibre", "tv"}
    with catalog.db.write() as conn:
        w = ChangeWriter(conn)
        customer = new_id()
        w.insert("customer", {"id": customer, "display_name": "new", "territory_id": catalog.territory})
        for product in build_more:
            w.insert(
                "holding", {"id": new_id(), "customer_id": customer, "product_id": catalog.product[product]}
            )
    report = recompute(catalog.db, LOOSE)
    assert report.baskets == len(BASKETS) + 1
    assert report.updated > 0 and report.deleted == 0
    assert _live_affinity(catalog) == before  # the same rows (ids), new values
