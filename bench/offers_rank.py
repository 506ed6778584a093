"""Recommended offers: precision@3 against the seeded data's planted affinities, next to a
most-popular baseline from the same run, and the ranking time per customer.

    python bench/offers_rank.py [CUSTOMERS] [--seed N]

Seeds CUSTOMERS (default 20,000) into a fresh SQLite file with the server's seed (its catalog
plants four affinities, `server/seed/catalog.py PLANTED`: owners of Fibre 500 add Mesh Wi-Fi…),
computes the server's affinity model on it (`server.offers.affinity.recompute`, the code that runs
on the server), and reads the reference data and every customer's holdings, answers and resolved
cases into the desktop's plain values (`desktop.services.offers_model`).

Hold-out: for every customer who owns a planted antecedent and its planted consequent (and the
consequent is on offer), the consequent's holding is removed and the customer ranked
(`offers_rank.rank`, what the customer screen runs). A hit is the consequent's offer among the
three shown. The baseline shows the three most widely held offer products that pass the same
eligibility filters. Reported: hit rate (share of held-out customers with a hit: recall@3),
precision@3 (hits / offers shown: the ranking shows fewer than three when fewer have a reason, the
baseline always three) and the mean number shown, for both. Marketing consent is taken as given for everyone here
(the consent filter is a rule, not part of the ranking's quality). The model is computed on all
baskets, held-out ones included (one basket among thousands barely moves a lift).

Timing: `rank` per customer (the reference model kept in memory, as the desktop keeps it for the
session), p50/p95/max over every customer, next to the baseline's time from the same run.
"""

import argparse
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

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
)
from desktop.services.offers_rank import MAX_SHOWN, ineligible, rank
from server.db import tables as t
from server.db.bootstrap import initialize
from server.db.engine import Database
from server.offers.affinity import recompute
from server.offers.settings import ModelSettings
from server.seed import run_seed
from server.seed.catalog import PLANTED


def _strings(value: Any) -> frozenset[str]:
    return frozenset(str(v) for v in value) if isinstance(value, list) else frozenset()


def read_model(db: Database) -> tuple[OfferModel, dict[str, str]]:
    """The reference side as the desktop holds it, and sku → product id."""
    with db.read() as conn:
        products = conn.execute(select(t.product)).mappings().all()
        offers = conn.execute(select(t.offer).where(t.offer.c.deleted_at.is_(None))).mappings().all()
        rules = conn.execute(select(t.affinity).where(t.affinity.c.deleted_at.is_(None))).mappings().all()
        signals = (
            conn.execute(select(t.region_signal).where(t.region_signal.c.deleted_at.is_(None)))
            .mappings()
            .all()
        )
    model = OfferModel.build(
        (
            OfferFact(
                id=o["id"],
                product_id=o["product_id"],
                title=o["title"],
                pitch=o["pitch"],
                price=o["price"],
                currency=o["currency"],
                category=o["category"],
                sensitive=o["sensitive"],
                regions=_strings(o["regions"]),
                segments=_strings(o["segments"]),
                valid_from=parse_time(o["valid_from"]),
                valid_to=parse_time(o["valid_to"]),
                margin=o["margin"],
            )
            for o in offers
        ),
        (ProductFact(p["id"], p["name"], p["category"], p["sensitive"]) for p in products),
        (
            AffinityFact(a["antecedent_product_id"], a["offer_id"], a["support"], a["confidence"], a["lift"])
            for a in rules
        ),
        (
            RegionSignalFact(
                id=s["id"],
                region=s["region"],
                kind=s["kind"],
                label=s["label"],
                categories=frozenset(c.casefold() for c in _strings(s["categories"])),
                boost=s["boost"],
                valid_from=parse_time(s["valid_from"]),
                valid_to=parse_time(s["valid_to"]),
            )
            for s in signals
        ),
    )
    return model, {p["sku"]: p["id"] for p in products}


def read_customers(db: Database) -> list[CustomerFacts]:
    holdings: dict[str, list[HoldingFact]] = {}
    answers: dict[str, list[ResponseFact]] = {}
    cases: dict[str, list[ResolvedCase]] = {}
    with db.read() as conn:
        people = conn.execute(
            select(t.customer.c.id, t.customer.c.country, t.customer.c.region, t.customer.c.segment)
        ).all()
        for cid, pid, since, renews in conn.execute(
            select(t.holding.c.customer_id, t.holding.c.product_id, t.holding.c.since, t.holding.c.renews_at)
        ):
            holdings.setdefault(cid, []).append(HoldingFact(pid, parse_time(since), parse_time(renews)))
        for cid, oid, response, at in conn.execute(
            select(
                t.offer_response.c.customer_id,
                t.offer_response.c.offer_id,
                t.offer_response.c.response,
                t.offer_response.c.at,
            )
        ):
            kind = next((k for k in RESPONSES if k == response), None)
            if kind is not None:
                answers.setdefault(cid, []).append(ResponseFact(oid, kind, parse_time(at)))
        case = t.support_case
        for cid, number, resolved in conn.execute(
            select(case.c.customer_id, case.c.number, case.c.resolved_at).where(
                case.c.resolved_at.is_not(None)
            )
        ):
            at = parse_time(resolved)
            if at is not None:
                cases.setdefault(cid, []).append(ResolvedCase(number, at))
    return [
        CustomerFacts(
            id=cid,
            consent_marketing=True,
            do_not_contact=False,
            country=country or "",
            region=region or "",
            segment=segment or "",
            holdings=tuple(holdings.get(cid, ())),
            responses=tuple(answers.get(cid, ())),
            resolved_cases=tuple(cases.get(cid, ())),
        )
        for cid, country, region, segment in people
    ]


def most_popular(model: OfferModel, customers: list[CustomerFacts]) -> list[OfferFact]:
    """Offers by how many customers hold their product, most first (the baseline's order)."""
    held = Counter(h.product_id for c in customers for h in c.holdings)
    return sorted(model.offers, key=lambda o: (-held[o.product_id], o.id))


def baseline(model: OfferModel, popular: list[OfferFact], facts: CustomerFacts, now: datetime) -> list[str]:
    shown: list[str] = []
    for offer in popular:
        if ineligible(model, offer, facts, now) is None:
            shown.append(offer.id)
            if len(shown) == MAX_SHOWN:
                break
    return shown


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("customers", nargs="?", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{Path(tmp) / 'server.db'}")
        initialize(db)
        started = time.perf_counter()
        run_seed(db, customers=args.customers, seed=args.seed, now=now)
        seeded = time.perf_counter() - started
        report = recompute(db, ModelSettings())
        model, by_sku = read_model(db)
        customers = read_customers(db)
        db.dispose()
    print(
        f"seeded {args.customers:,} customers in {seeded:.1f} s; model: {report.rules} rules from {report.baskets:,} baskets"
    )
    offer_of = {o.product_id: o.id for o in model.offers}
    planted = {by_sku[a]: by_sku[c] for a, (c, _p) in PLANTED.items()}
    popular = most_popular(model, customers)

    ours_hits = base_hits = held_out = ours_shown = base_shown = 0
    for facts in customers:
        owned = {h.product_id for h in facts.holdings}
        for antecedent, consequent in planted.items():
            if antecedent not in owned or consequent not in owned or consequent not in offer_of:
                continue
            trimmed = replace(facts, holdings=tuple(h for h in facts.holdings if h.product_id != consequent))
            target = offer_of[consequent]
            ours = [r.offer.id for r in rank(model, trimmed, now).offers]
            base = baseline(model, popular, trimmed, now)
            held_out += 1
            ours_hits += target in ours
            base_hits += target in base
            ours_shown += len(ours)
            base_shown += len(base)

    rank_us: list[float] = []
    base_us: list[float] = []
    clock = time.perf_counter_ns
    for facts in customers:
        t0 = clock()
        rank(model, facts, now)
        t1 = clock()
        baseline(model, popular, facts, now)
        t2 = clock()
        rank_us.append((t1 - t0) / 1000)
        base_us.append((t2 - t1) / 1000)

    print(f"held-out planted consequents: {held_out:,} (customers x planted pairs)")
    print(f"{'':24}{'hit rate':>10}{'precision@3':>14}{'shown (mean)':>14}")
    for name, hits, shown in (
        ("ranking (offers_rank)", ours_hits, ours_shown),
        ("most popular", base_hits, base_shown),
    ):
        rate, precision, mean = hits / max(held_out, 1), hits / max(shown, 1), shown / max(held_out, 1)
        print(f"{name:24}{rate:>10.3f}{precision:>14.3f}{mean:>14.2f}")
    print(
        f"ranking time per customer over {len(customers):,}: p50 {percentile(rank_us, 0.5):.1f} us, "
        f"p95 {percentile(rank_us, 0.95):.1f} us, max {max(rank_us):.1f} us, mean {statistics.fmean(rank_us):.1f} us "
        "(goal <= 1,000 us)"
    )
    print(
        f"baseline time per customer:                p50 {percentile(base_us, 0.5):.1f} us, "
        f"p95 {percentile(base_us, 0.95):.1f} us"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
