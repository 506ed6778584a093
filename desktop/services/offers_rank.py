"""Ranking recommended offers (OFFERS.md "How it works"): a pure function over plain values.

1. **Eligibility** (hard filters, first): do-not-contact or no marketing consent → no offers at all
   (`Ranking.notice` says why); a sensitive offer is never recommended; an offer the customer holds,
   or accepted within `ACCEPTED_QUIET_DAYS`, is out; so is one outside its validity window, region
   or segment, one declined within `DECLINE_QUIET_DAYS`, and one answered "not now" within
   `NOT_NOW_QUIET_DAYS`.
2. **Affinity**: the best lift among the customer's holdings. A holding whose product is sensitive
   (or unknown to this build) never triggers an offer and never appears in a reason — checked here
   even though the server already leaves sensitive pairs out of the affinity table.
3. **Context boosts**: a region signal active now in the customer's region raises the offers of its
   categories by its boost; a holding's contract renewal within `RENEWAL_WINDOW_DAYS` raises offers
   of the same category (`RENEWAL_BOOST`); a case resolved within `CASE_WINDOW_DAYS` raises every
   eligible offer (`CASE_BOOST`: a problem just solved well is a good moment).
4. **Recency** of the triggering holding: 1 for a purchase today, falling linearly to 0.5 at
   `RECENCY_SPAN_DAYS` (0.75 when the purchase date is unknown).
5. **Fatigue** from earlier declines and "not now"s (older than the quiet periods).

score = lift * boost * recency * (1 - fatigue); ties break on margin, then title. An offer needs at
least one signal (lift or boost above 1) to be shown: every shown offer says why. At most
`MAX_SHOWN`, each with the line of its strongest signal. The price is the offer's catalog price.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Final

from desktop.services import offers_explain as say
from desktop.services.offers_model import (
    CustomerFacts,
    FilteredOffer,
    HoldingFact,
    OfferFact,
    OfferModel,
    RankedOffer,
    Ranking,
    ResponseFact,
    Signal,
)

MAX_SHOWN: Final = 3
DECLINE_QUIET_DAYS: Final = 30
NOT_NOW_QUIET_DAYS: Final = 7
ACCEPTED_QUIET_DAYS: Final = 90
RENEWAL_WINDOW_DAYS: Final = 30
CASE_WINDOW_DAYS: Final = 7
RENEWAL_BOOST: Final = 1.3
CASE_BOOST: Final = 1.15
RECENCY_SPAN_DAYS: Final = 730
RECENCY_FLOOR: Final = 0.5
RECENCY_UNKNOWN: Final = 0.75
FATIGUE_PER_DECLINE: Final = 0.25
FATIGUE_PER_NOT_NOW: Final = 0.1
FATIGUE_CAP: Final = 0.75
#: which signal names the reason when two are equally strong
_SIGNAL_ORDER: Final = {"affinity": 0, "region": 1, "renewal": 2, "case": 3, "none": 4}


def recency(since: datetime | None, now: datetime) -> float:
    """1.0 for a holding bought now, linearly down to `RECENCY_FLOOR` at `RECENCY_SPAN_DAYS` and beyond."""
    if since is None:
        return RECENCY_UNKNOWN
    age = max((now - since).total_seconds() / 86_400, 0.0)
    return max(RECENCY_FLOOR, 1.0 - (1.0 - RECENCY_FLOOR) * age / RECENCY_SPAN_DAYS)


def fatigue(responses: Iterable[ResponseFact]) -> float:
    """How tired of the offer the customer is: earlier declines count most, capped at `FATIGUE_CAP`."""
    total = 0.0
    for r in responses:
        if r.response == "declined":
            total += FATIGUE_PER_DECLINE
        elif r.response == "not_now":
            total += FATIGUE_PER_NOT_NOW
    return min(total, FATIGUE_CAP)


def _latest(responses: Iterable[ResponseFact], kind: str) -> datetime | None:
    times = [r.at for r in responses if r.response == kind and r.at is not None]
    return max(times) if times else None


def _ineligible(
    model: OfferModel,
    offer: OfferFact,
    facts: CustomerFacts,
    held: frozenset[str],
    answers: tuple[ResponseFact, ...],
    now: datetime,
) -> str | None:
    """Why the offer may not be made to this customer now, or None."""
    if model.offer_is_sensitive(offer):
        return f"sensitive category ({offer.category or 'unnamed'}): never recommended"
    if offer.product_id in held:
        return "already held"
    accepted = _latest(answers, "accepted")
    if accepted is not None and now - accepted < timedelta(days=ACCEPTED_QUIET_DAYS):
        return f"accepted on {say.day(accepted)}"
    if offer.valid_from is not None and now < offer.valid_from:
        return f"not valid until {say.day(offer.valid_from)}"
    if offer.valid_to is not None and now > offer.valid_to:
        return f"expired on {say.day(offer.valid_to)}"
    if offer.regions and facts.country not in offer.regions and facts.region not in offer.regions:
        return f"not offered in {facts.region or facts.country or 'an unknown region'}"
    if offer.segments and facts.segment not in offer.segments:
        return f"not for the {facts.segment or 'unknown'} segment"
    for kind, days, label in (
        ("declined", DECLINE_QUIET_DAYS, "declined"),
        ("not_now", NOT_NOW_QUIET_DAYS, "'not now'"),
    ):
        last = _latest(answers, kind)
        if last is not None and now - last < timedelta(days=days):
            return f"{label} on {say.day(last)}: not asked again until {say.day(last + timedelta(days=days))}"
    return None


def ineligible(model: OfferModel, offer: OfferFact, facts: CustomerFacts, now: datetime) -> str | None:
    """Why `offer` may not be made to this customer now (the hard filters alone), or None.

    Consent and do-not-contact are not checked here (`rank` stops before any offer for those)."""
    held = frozenset(h.product_id for h in facts.holdings)
    answers = tuple(r for r in facts.responses if r.offer_id == offer.id)
    return _ineligible(model, offer, facts, held, answers, now)


def _affinity(
    model: OfferModel, safe: tuple[HoldingFact, ...], now: datetime
) -> dict[str, tuple[float, HoldingFact]]:
    """offer id → (best lift, the holding that gives it) among the customer's non-sensitive holdings."""
    best: dict[str, tuple[float, HoldingFact]] = {}
    for holding in safe:
        for affinity in model.affinities.get(holding.product_id, ()):
            found = best.get(affinity.offer_id)
            if affinity.lift > 1.0 and (
                found is None
                or affinity.lift > found[0]
                or (affinity.lift == found[0] and recency(holding.since, now) > recency(found[1].since, now))
            ):
                best[affinity.offer_id] = (affinity.lift, holding)
    return best


def _context(
    model: OfferModel, offer: OfferFact, facts: CustomerFacts, safe: tuple[HoldingFact, ...], now: datetime
) -> list[Signal]:
    signals: list[Signal] = []
    category = offer.category.casefold()
    region = facts.region.casefold()
    regional = [
        s
        for s in model.signals
        if region
        and s.region.casefold() == region
        and category in s.categories
        and s.active(now)
        and s.boost > 1.0
    ]
    if regional:
        top = max(regional, key=lambda s: (s.boost, s.id))
        signals.append(Signal("region", top.boost, say.region_reason(top.label, offer.category, top.boost)))
    horizon = now + timedelta(days=RENEWAL_WINDOW_DAYS)
    renewing = [
        h
        for h in safe
        if h.renews_at is not None
        and now <= h.renews_at <= horizon
        and model.products[h.product_id].category.casefold() == category
    ]
    if renewing:
        soonest = min(renewing, key=lambda h: (h.renews_at or now, h.product_id))
        days = ((soonest.renews_at or now) - now).days
        name = model.products[soonest.product_id].name
        signals.append(Signal("renewal", RENEWAL_BOOST, say.renewal_reason(name, days)))
    since = now - timedelta(days=CASE_WINDOW_DAYS)
    recent = [c for c in facts.resolved_cases if since <= c.resolved_at <= now]
    if recent:
        latest = max(recent, key=lambda c: (c.resolved_at, c.number))
        signals.append(
            Signal("case", CASE_BOOST, say.case_reason(latest.number, (now - latest.resolved_at).days))
        )
    return signals


def _offered_name(model: OfferModel, offer: OfferFact) -> str:
    product = model.products.get(offer.product_id)
    return product.name if product is not None and product.name else offer.title


def _score(
    model: OfferModel,
    offer: OfferFact,
    facts: CustomerFacts,
    safe: tuple[HoldingFact, ...],
    best: dict[str, tuple[float, HoldingFact]],
    answers: tuple[ResponseFact, ...],
    now: datetime,
) -> RankedOffer | None:
    signals = _context(model, offer, facts, safe, now)
    lift, fresh = 1.0, 1.0
    found = best.get(offer.id)
    if found is not None:
        lift, trigger = found
        fresh = recency(trigger.since, now)
        antecedent = model.products[trigger.product_id].name
        signals.insert(
            0, Signal("affinity", lift, say.affinity_reason(antecedent, _offered_name(model, offer), lift))
        )
    if not signals:
        return None
    boost = 1.0
    for s in signals:
        if s.kind != "affinity":
            boost *= s.factor
    tired = fatigue(answers)
    strongest = min(signals, key=lambda s: (-s.factor, _SIGNAL_ORDER[s.kind]))
    return RankedOffer(
        offer=offer,
        score=lift * boost * fresh * (1.0 - tired),
        lift=lift,
        boost=boost,
        recency=fresh,
        fatigue=tired,
        strongest=strongest,
        signals=tuple(signals),
    )


def rank(model: OfferModel, facts: CustomerFacts, now: datetime) -> Ranking:
    """The customer's top offers now (at most `MAX_SHOWN`) and every other offer with why."""
    blocked = (
        say.do_not_contact()
        if facts.do_not_contact
        else (None if facts.consent_marketing else say.no_consent())
    )
    if blocked is not None:
        stop = blocked.removeprefix("No offers: ").rstrip(".")
        return Ranking(
            facts.id, (), tuple(FilteredOffer(o, stop) for o in model.offers), blocked, blocked=True
        )
    held = frozenset(h.product_id for h in facts.holdings)
    safe = tuple(h for h in facts.holdings if not model.product_is_sensitive(h.product_id))
    best = _affinity(model, safe, now)
    by_offer: dict[str, list[ResponseFact]] = {}
    for response in facts.responses:
        by_offer.setdefault(response.offer_id, []).append(response)
    candidates: list[RankedOffer] = []
    filtered: list[FilteredOffer] = []
    for offer in model.offers:
        answers = tuple(by_offer.get(offer.id, ()))
        why = _ineligible(model, offer, facts, held, answers, now)
        if why is not None:
            filtered.append(FilteredOffer(offer, why))
            continue
        scored = _score(model, offer, facts, safe, best, answers, now)
        if scored is None:
            filtered.append(FilteredOffer(offer, "no signal: nothing links it to this customer now", 1.0))
        else:
            candidates.append(scored)
    candidates.sort(key=lambda r: (-r.score, -r.offer.margin, r.offer.title, r.offer.id))
    shown = tuple(candidates[:MAX_SHOWN])
    for place, extra in enumerate(candidates[MAX_SHOWN:], start=MAX_SHOWN + 1):
        filtered.append(
            FilteredOffer(extra.offer, f"ranked {place}: only {MAX_SHOWN} are shown", extra.score)
        )
    return Ranking(
        facts.id,
        shown,
        tuple(filtered),
        None if shown else say.nothing_eligible(),
    )
