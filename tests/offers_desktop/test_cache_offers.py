"""Offers from a real cache file: the loader reads what ranking needs in few statements, the session
keeps the `ref` model, and an answer recorded offline is a local append with one outbox entry that
changes the ranking at once."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection

from desktop.services import offers_explain as say
from desktop.services.offers import (
    OfferModelCache,
    OfferResponseError,
    ranking,
    record_response,
    touches,
)
from desktop.services.offers_load import load_customer, load_model
from desktop.services.store import Cache, Changed, apply_page, open_cache, outbox_counts
from desktop.services.store.outbox import entries_for
from tests.offers_desktop.cached import ANA, BEN, CARA, FAN_OFFER, MESH_OFFER, NOW, change, fill, iso
from wire.auth import UserInfo

AGENT = UserInfo(
    id="u-agent", username="agent", display_name="Alex Agent", roles=["agent"], queue_ids=[], territory_ids=[]
)


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[Cache]:
    opened, _report = open_cache(tmp_path / "cache.db", None)
    fill(opened)
    yield opened
    opened.close()


def statements(conn: Connection) -> list[str]:
    """Start recording the SQL statements the driver connection runs (plain SQLite in tests)."""
    seen: list[str] = []
    conn.connection.driver_connection.set_trace_callback(seen.append)  # type: ignore[union-attr]
    return seen


def test_the_model_and_a_customer_load_from_the_cache(cache: Cache) -> None:
    with cache.read() as conn:
        model = load_model(conn)
        seen = statements(conn)
        facts = load_customer(conn, ANA)
        conn.connection.driver_connection.set_trace_callback(None)  # type: ignore[union-attr]
    assert len(seen) == 2  # the customer row, and one UNION ALL of holdings, answers and cases
    assert facts is not None and facts.consent_marketing and facts.region == "Andalusia"
    assert {h.product_id for h in facts.holdings} == {"p-BB-FIB500", "p-HL-WATCH"}
    renewing = next(h for h in facts.holdings if h.product_id == "p-BB-FIB500")
    assert renewing.renews_at is not None and renewing.renews_at.isoformat() == iso(200)
    fan = next(o for o in model.offers if o.id == FAN_OFFER)
    assert fan.regions == frozenset({"ES", "FR"}) and fan.price == 59.0
    assert model.signals[0].categories == frozenset({"cooling"}) and model.signals[0].active(NOW)
    assert model.product_is_sensitive("p-HL-WATCH") and not model.product_is_sensitive("p-BB-FIB500")


def test_the_cached_customer_gets_the_affinity_and_the_heatwave_never_the_sensitive_pair(
    cache: Cache,
) -> None:
    models = OfferModelCache()
    with cache.read() as conn:
        ana = ranking(conn, models, ANA, NOW)
        ben = ranking(conn, models, BEN, NOW)
        cara = ranking(conn, models, CARA, NOW)
        nobody = ranking(conn, models, "not-a-customer", NOW)
    assert ana is not None and ben is not None and cara is not None and nobody is None
    assert [r.offer.id for r in ana.offers] == [MESH_OFFER, FAN_OFFER, "o-CL-AC-PORT"]
    assert ana.offers[0].reason.startswith("Customers with Fibre 500 often add Mesh Wi-Fi")
    assert ana.offers[0].offer.price == 8.0  # the offer's catalog price, not the product's list price (10.0)
    assert all("Health" not in r.reason for r in ana.offers)
    assert "o-INS-DEVICE" not in [r.offer.id for r in ana.offers]
    assert ben.notice == say.no_consent() and ben.offers == ()
    assert cara.notice == say.do_not_contact() and cara.offers == ()
    assert models.loads == 1  # the ref model is read once and kept


def test_a_ref_change_makes_the_kept_model_stale(cache: Cache) -> None:
    models = OfferModelCache()
    with cache.read() as conn:
        ranking(conn, models, ANA, NOW)
    assert not models.note(Changed(rows={"holding": {"h-1"}}))
    changed = apply_page(
        cache.writer,
        "ref",
        [
            change(
                "region_signal",
                "s-heat",
                2,
                region="Andalusia",
                kind="heatwave",
                label="Heatwave over",
                categories=["cooling"],
                boost=1.8,
                valid_from=iso(-10),
                valid_to=iso(-1),
            )
        ],
        "r2",
    )
    assert models.note(changed)
    with cache.read() as conn:
        after = ranking(conn, models, ANA, NOW)
    assert models.loads == 2
    assert after is not None and [r.offer.id for r in after.offers] == [MESH_OFFER]


def test_touches_only_for_this_customers_rows(cache: Cache) -> None:
    with cache.read() as conn:
        assert touches(conn, Changed(rows={"holding": {"h-1"}}), ANA)
        assert not touches(conn, Changed(rows={"holding": {"h-3"}}), ANA)
        assert touches(conn, Changed(rows={"offer": {MESH_OFFER}}), ANA)
        assert touches(conn, Changed(rows={"customer": {ANA}}), ANA)
        assert not touches(conn, Changed(rows={"customer": {BEN}, "interaction": {"i-1"}}), ANA)


def test_a_decline_recorded_offline_is_one_append_and_hides_the_offer_at_once(cache: Cache) -> None:
    models = OfferModelCache()
    row_id, changed = record_response(
        cache.writer, ANA, MESH_OFFER, "declined", AGENT, reason="  Has a mesh already  ", at=NOW
    )
    assert changed.ids("offer_response") == {row_id} and changed.outbox
    with cache.read() as conn:
        entries = entries_for(conn, "offer_response", row_id)
        counts = outbox_counts(conn)
        after = ranking(conn, models, ANA, NOW)
        assert touches(conn, changed, ANA)
    assert [(e.op, e.state) for e in entries] == [("append", "pending")]
    values = entries[0].new_values
    assert values["response"] == "declined" and values["reason"] == "Has a mesh already"
    assert (
        values["agent_id"] == AGENT.id
        and values["offer_id"] == MESH_OFFER
        and values["at"] == NOW.isoformat()
    )
    assert counts.pending == 1
    assert after is not None and MESH_OFFER not in [r.offer.id for r in after.offers]
    assert next(f.why for f in after.filtered if f.offer.id == MESH_OFFER).startswith(
        "declined on 2026-07-15"
    )


@pytest.mark.parametrize(
    ("customer_id", "offer_id", "response", "reason", "message"),
    [
        ("nobody", MESH_OFFER, "accepted", None, "not in the cache"),
        (ANA, "no-offer", "accepted", None, "not in the catalog"),
        (ANA, MESH_OFFER, "maybe", None, "Unknown answer"),
        (ANA, MESH_OFFER, "declined", "x" * 501, "longer than 500"),
    ],
)
def test_a_bad_answer_writes_nothing(
    cache: Cache, customer_id: str, offer_id: str, response: str, reason: str | None, message: str
) -> None:
    with pytest.raises(OfferResponseError, match=message):
        record_response(cache.writer, customer_id, offer_id, response, AGENT, reason=reason)
    with cache.read() as conn:
        assert outbox_counts(conn).pending == 0
