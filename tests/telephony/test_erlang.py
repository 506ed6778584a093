"""Erlang C against an independent implementation on a grid, and against published table values.

The issue names erlangccmath as the independent implementation, but that package is a client of a
remote web service (every call POSTs to its vendor and asks for a user id on stdin), so it cannot
run in a test. The reference here is the textbook closed form in exact rational arithmetic
(factorials and powers with `fractions.Fraction`): a different formula evaluated a different way
from the server's floating-point Erlang B recurrence.
"""

import math
from fractions import Fraction

import pytest

from server.telephony.erlang import agents_needed, erlang_c, service_level, staffing_advice


def reference_erlang_c(agents: int, traffic: Fraction) -> Fraction:
    """P(wait) = (A^N/N! · N/(N-A)) / (Σ_{k<N} A^k/k! + A^N/N! · N/(N-A)), exactly."""
    top = traffic**agents / math.factorial(agents) * Fraction(agents) / (agents - traffic)
    bottom = sum((traffic**k / math.factorial(k) for k in range(agents)), Fraction(0)) + top
    return top / bottom


def reference_sl(agents: int, traffic: Fraction, aht_s: float, threshold_s: float) -> float:
    return 1.0 - float(reference_erlang_c(agents, traffic)) * math.exp(
        -(agents - float(traffic)) * threshold_s / aht_s
    )


GRID = [
    (rate_per_h, aht_s, agents)
    for rate_per_h in (6, 30, 120, 600, 2400)
    for aht_s in (60, 180, 300, 600)
    for agents in (1, 2, 5, 10, 25, 60, 150, 400)
]


@pytest.mark.parametrize(("rate_per_h", "aht_s", "agents"), GRID)
def test_erlang_c_and_service_level_match_the_exact_closed_form(
    rate_per_h: int, aht_s: int, agents: int
) -> None:
    traffic = Fraction(rate_per_h * aht_s, 3600)
    if traffic >= agents:
        # unstable: no steady state; the advice says so instead of a number
        advice = staffing_advice(rate_per_h, aht_s, agents, 20, 0.8)
        assert advice.unstable
        assert advice.probability_wait is None and advice.predicted_service_level is None
        return
    assert erlang_c(agents, float(traffic)) == pytest.approx(
        float(reference_erlang_c(agents, traffic)), rel=1e-9, abs=1e-12
    )
    assert service_level(agents, float(traffic), aht_s, 20) == pytest.approx(
        reference_sl(agents, traffic, aht_s, 20), rel=1e-9, abs=1e-12
    )


@pytest.mark.parametrize(
    ("agents", "published"),
    # Erlang C tables, A = 10 erlangs
    [(11, 0.6821), (12, 0.4494), (13, 0.2853), (14, 0.1741), (15, 0.1020)],
)
def test_published_table_values(agents: int, published: float) -> None:
    assert erlang_c(agents, 10.0) == pytest.approx(published, abs=5e-5)


def test_fewest_agents_reaching_the_target() -> None:
    # 100 calls per 30 min, AHT 180 s → A = 10. SL(13) = 1 - 0.2853 · e^(-3·20/180) ≈ 0.796 < 0.8,
    # SL(14) = 1 - 0.1741 · e^(-4·20/180) ≈ 0.888: 80/20 needs 14 agents
    traffic = Fraction(200 * 180, 3600)
    needed = agents_needed(float(traffic), 180, 20, 0.8)
    assert needed == 14
    assert reference_sl(13, traffic, 180, 20) < 0.8 <= reference_sl(14, traffic, 180, 20)


def test_large_staff_stays_finite() -> None:
    # 2,000 agents: factorials would overflow a float; the recurrence does not
    p = erlang_c(2000, 1950.0)
    assert 0.0 < p < 1.0
    assert math.isfinite(service_level(2000, 1950.0, 300, 20))


def test_unstable_and_empty_cases() -> None:
    assert erlang_c(5, 5.0) == 1.0
    advice = staffing_advice(3600 / 300 * 5, 300, 5, 20, 0.8)  # A = 5 with 5 agents
    assert advice.unstable and advice.traffic_erlangs == pytest.approx(5.0)
    assert advice.agents_needed is not None and advice.agents_needed > 5
    none = staffing_advice(0.0, None, 3, 20, 0.8)
    assert none.traffic_erlangs is None and not none.unstable and none.agents_needed is None
