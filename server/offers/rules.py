"""Association rules (antecedent product → offer) from basket counts: support, confidence, lift.

For baskets N, baskets holding the antecedent A: n(A), the offer's product P: n(P), and both:
n(A, P):  support = n(A, P) / N,  confidence = n(A, P) / n(A),  lift = confidence / (n(P) / N).
These are the textbook definitions (the same as efficient-apriori's and mlxtend's).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from server.offers.baskets import BasketCounts
from server.offers.settings import ModelSettings


@dataclass(frozen=True, slots=True)
class Rule:
    antecedent_product_id: str
    offer_id: str
    support: float
    confidence: float
    lift: float
    #: baskets holding both (the evidence behind the rule)
    count: int


def rules_from_counts(
    counts: BasketCounts,
    offers: Mapping[str, str],
    antecedents: Iterable[str],
    blocked: frozenset[tuple[str, str]],
    settings: ModelSettings,
) -> list[Rule]:
    """Every rule passing the thresholds, except blocked pairs; ordered by (offer, antecedent)."""
    n = counts.baskets
    out: list[Rule] = []
    if n == 0:
        return out
    allowed = frozenset(antecedents)
    for offer_id, product in sorted(offers.items()):
        n_p = counts.items.get(product, 0)
        if n_p == 0:
            continue
        for antecedent in sorted(allowed):
            if antecedent == product or (antecedent, product) in blocked:
                continue
            both = counts.pairs.get((antecedent, product), 0)
            if both < settings.min_pair_count:
                continue
            support = both / n
            confidence = both / counts.items[antecedent]
            lift = confidence / (n_p / n)
            if support >= settings.min_support and lift >= settings.min_lift:
                out.append(Rule(antecedent, offer_id, support, confidence, lift, both))
    return out
