"""The seed plants what the offers need: renewal dates, region signals, queues on responses, a model."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from server.db import tables as t
from server.db.engine import Database
from server.seed import run_seed
from server.seed.catalog import OFFER_QUEUES, PRODUCTS

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def test_seeded_renewals_signals_queues_and_model(backend: str) -> None:
    db = Database(backend)
    try:
        report = run_seed(db, customers=400, seed=5, now=NOW)
        with db.read() as conn:
            sku = {row.id: row.sku for row in conn.execute(select(t.product.c.id, t.product.c.sku))}
            holdings = conn.execute(
                select(t.holding.c.product_id, t.holding.c.since, t.holding.c.renews_at)
            ).all()
            signals = conn.execute(select(t.region_signal)).all()
            queues = dict(conn.execute(select(t.queue.c.id, t.queue.c.name)).all())
            responses = conn.execute(select(t.offer_response.c.channel, t.offer_response.c.queue_id)).all()
            cooling = conn.execute(select(t.offer.c.id).where(t.offer.c.category == "cooling")).all()
            affinity = conn.execute(select(t.affinity.c.antecedent_product_id, t.affinity.c.offer_id)).all()
            offer_sku = {
                row.id: sku[row.product_id]
                for row in conn.execute(select(t.offer.c.id, t.offer.c.product_id))
            }
            state = conn.execute(select(t.offer_model_state)).one()
    finally:
        db.dispose()
    one_off = {p.sku for p in PRODUCTS if p.contract_months == 0}
    renewing = [h for h in holdings if h.renews_at is not None]
    assert all(h.renews_at is None for h in holdings if sku[h.product_id] in one_off)
    assert all(sku[h.product_id] not in one_off for h in renewing)
    assert all(NOW < datetime.fromisoformat(h.renews_at) <= NOW + timedelta(days=731) for h in renewing)
    assert all(datetime.fromisoformat(h.since) < datetime.fromisoformat(h.renews_at) for h in renewing)
    soon = [h for h in renewing if datetime.fromisoformat(h.renews_at) <= NOW + timedelta(days=30)]
    assert 0.02 < len(soon) / len(renewing) < 0.2

    heat = [s for s in signals if s.kind == "heatwave" and s.region == "Andalucía"]
    assert len(heat) == 1 and heat[0].categories == ["cooling"] and heat[0].boost > 1
    assert datetime.fromisoformat(heat[0].valid_from) <= NOW < datetime.fromisoformat(heat[0].valid_to)
    assert cooling, "the catalog has cooling offers for the heatwave to raise"

    assert {queues[q] for c, q in responses if q is not None} == set(OFFER_QUEUES)
    assert all(q is None for c, q in responses if c != "phone")
    assert any(q is not None for c, q in responses if c == "phone")

    pairs = {(sku[a], offer_sku[o]) for a, o in affinity}
    assert ("BB-FIB500", "SH-MESH") in pairs
    assert not {s for pair in pairs for s in pair if s.startswith("HL-")}
    assert report.counts["affinity"] == len(affinity) == state.rules
    assert state.computed_at is not None and state.baskets > 0
