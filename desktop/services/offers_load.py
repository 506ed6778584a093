"""Reading what ranking needs from the offline cache, in as few statements as possible (Qt-free).

- `load_model`: the `ref` side (offers, products, affinities, region signals), four plain scans of
  small tables; read once per session and kept (`offers.OfferModelCache`);
- `load_customer`: one customer's facts in two indexed statements: the customer row, and one
  `UNION ALL` of their holdings, offer responses and resolved cases (each by its `customer_id`
  index). Rows appended here and not yet synced are in the mirrors too (version 0), so an answer
  recorded offline counts at once.

Rows are read through the driver connection (`store.driver.run`): booleans are 0/1, JSON columns
are text.
"""

import json
from typing import Any

from sqlalchemy import Connection

from desktop.services.offers_explain import parse_time
from desktop.services.offers_model import (
    RESPONSES,
    AffinityFact,
    CustomerFacts,
    HoldingFact,
    OfferFact,
    OfferModel,
    ProductFact,
    RegionSignalFact,
    ResolvedCase,
    ResponseFact,
    ResponseKind,
)
from desktop.services.store.driver import run

_OFFERS = (
    "SELECT id, product_id, title, pitch, price, currency, category, sensitive, regions, segments, "
    "valid_from, valid_to, margin FROM offer"
)
_PRODUCTS = "SELECT id, name, category, sensitive FROM product"
_AFFINITIES = "SELECT antecedent_product_id, offer_id, support, confidence, lift FROM affinity"
_SIGNALS = "SELECT id, region, kind, label, categories, boost, valid_from, valid_to FROM region_signal"
_CUSTOMER = "SELECT consent_marketing, do_not_contact, country, region, segment FROM customer WHERE id = ?"
_HISTORY = (
    "SELECT 'h', product_id, since, renews_at FROM holding WHERE customer_id = ? "
    "UNION ALL SELECT 'r', offer_id, response, at FROM offer_response WHERE customer_id = ? "
    "UNION ALL SELECT 'c', number, resolved_at, NULL FROM \"case\" WHERE customer_id = ? "
    "AND status IN ('resolved', 'closed') AND resolved_at IS NOT NULL"
)


def _strings(value: Any) -> frozenset[str]:
    """A JSON list of strings from a column (text, or already decoded); anything else is empty."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return frozenset()
    if not isinstance(value, list):
        return frozenset()
    return frozenset(str(v) for v in value if isinstance(v, str))


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def load_model(conn: Connection) -> OfferModel:
    """The whole `ref` side of ranking, indexed (a few hundred rows: milliseconds, once per session)."""
    offers = [
        OfferFact(
            id=str(r[0]),
            product_id=_text(r[1]),
            title=_text(r[2]),
            pitch=_text(r[3]),
            price=float(r[4] or 0.0),
            currency=_text(r[5]) or "EUR",
            category=_text(r[6]),
            sensitive=bool(r[7]),
            regions=_strings(r[8]),
            segments=_strings(r[9]),
            valid_from=parse_time(r[10]),
            valid_to=parse_time(r[11]),
            margin=float(r[12] or 0.0),
        )
        for r in run(conn, _OFFERS).fetchall()
    ]
    products = [
        ProductFact(str(r[0]), _text(r[1]), _text(r[2]), bool(r[3])) for r in run(conn, _PRODUCTS).fetchall()
    ]
    affinities = [
        AffinityFact(_text(r[0]), _text(r[1]), float(r[2] or 0.0), float(r[3] or 0.0), float(r[4] or 0.0))
        for r in run(conn, _AFFINITIES).fetchall()
    ]
    signals = [
        RegionSignalFact(
            id=str(r[0]),
            region=_text(r[1]),
            kind=_text(r[2]),
            label=_text(r[3]),
            categories=frozenset(c.casefold() for c in _strings(r[4])),
            boost=float(r[5] or 1.0),
            valid_from=parse_time(r[6]),
            valid_to=parse_time(r[7]),
        )
        for r in run(conn, _SIGNALS).fetchall()
    ]
    return OfferModel.build(offers, products, affinities, signals)


def _response(value: Any) -> ResponseKind | None:
    for kind in RESPONSES:
        if value == kind:
            return kind
    return None


def load_customer(conn: Connection, customer_id: str) -> CustomerFacts | None:
    """One customer's consent, place, holdings, answers and resolved cases; None if not in the cache."""
    row = run(conn, _CUSTOMER, (customer_id,)).fetchone()
    if row is None:
        return None
    holdings: list[HoldingFact] = []
    responses: list[ResponseFact] = []
    cases: list[ResolvedCase] = []
    for kind, key, first, second in run(conn, _HISTORY, (customer_id,) * 3).fetchall():
        if kind == "h":
            holdings.append(HoldingFact(_text(key), parse_time(first), parse_time(second)))
        elif kind == "r":
            answer = _response(first)
            if answer is not None:
                responses.append(ResponseFact(_text(key), answer, parse_time(second)))
        else:
            resolved = parse_time(first)
            if resolved is not None:
                cases.append(ResolvedCase(_text(key), resolved))
    return CustomerFacts(
        id=customer_id,
        consent_marketing=bool(row[0]),
        do_not_contact=bool(row[1]),
        country=_text(row[2]),
        region=_text(row[3]),
        segment=_text(row[4]),
        holdings=tuple(holdings),
        responses=tuple(responses),
        resolved_cases=tuple(cases),
    )
