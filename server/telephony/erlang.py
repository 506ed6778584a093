"""Erlang C staffing advice (METRICS.md, Staffing advice).

Traffic intensity A = λ · AHT (erlangs). With N agents and A < N, the probability that a contact
waits is Erlang C, computed from Erlang B by its recurrence B(0) = 1, B(k) = A·B(k-1) / (k + A·B(k-1))
and C = N·B / (N - A·(1 - B)): no factorials or powers, so it stays exact in floating point for
thousands of agents. The predicted service level for threshold T is 1 - C · e^(-(N - A)·T / AHT).
When A ≥ N the queue has no steady state ("unstable") and there is no number to print.
"""

import math
from typing import Final

from wire.telephony import StaffingAdvice

#: the search for the fewest agents stops here (a queue needing more is reported as None)
MAX_AGENTS: Final = 100_000


def erlang_b(agents: int, traffic: float) -> float:
    """Blocking probability of an M/M/N/N system (Erlang B), by the stable recurrence."""
    if agents < 0 or traffic < 0:
        raise ValueError("agents and traffic must not be negative")
    b = 1.0
    for k in range(1, agents + 1):
        b = traffic * b / (k + traffic * b)
    return b


def erlang_c(agents: int, traffic: float) -> float:
    """Probability that a contact waits (Erlang C); 1.0 when traffic ≥ agents (unstable)."""
    if traffic <= 0:
        return 0.0
    if traffic >= agents:
        return 1.0
    b = erlang_b(agents, traffic)
    return agents * b / (agents - traffic * (1.0 - b))


def service_level(agents: int, traffic: float, aht_s: float, threshold_s: float) -> float:
    """Share of contacts answered within `threshold_s` with `agents` agents (0.0 when unstable)."""
    if traffic <= 0:
        return 1.0
    if traffic >= agents:
        return 0.0
    wait = erlang_c(agents, traffic)
    return 1.0 - wait * math.exp(-(agents - traffic) * threshold_s / aht_s)


def agents_needed(traffic: float, aht_s: float, threshold_s: float, target: float) -> int | None:
    """The fewest agents whose predicted service level reaches `target` (None past MAX_AGENTS)."""
    if traffic <= 0:
        return 0
    n = math.floor(traffic) + 1
    while n <= MAX_AGENTS:
        if service_level(n, traffic, aht_s, threshold_s) >= target:
            return n
        n += 1
    return None


def staffing_advice(
    arrival_rate_per_h: float, aht_s: float | None, agents_staffed: int, threshold_s: float, target: float
) -> StaffingAdvice:
    """Erlang C for a queue from its window's arrival rate and AHT and the agents staffed now.

    Without an AHT (nothing handled in the window) there is no traffic figure and no advice.
    """
    if aht_s is None or aht_s <= 0:
        return StaffingAdvice(
            traffic_erlangs=None,
            agents_staffed=agents_staffed,
            unstable=False,
            probability_wait=None,
            predicted_service_level=None,
            agents_needed=None,
        )
    traffic = arrival_rate_per_h / 3600.0 * aht_s
    unstable = traffic > 0 and traffic >= agents_staffed
    return StaffingAdvice(
        traffic_erlangs=traffic,
        agents_staffed=agents_staffed,
        unstable=unstable,
        probability_wait=None if unstable else erlang_c(agents_staffed, traffic),
        predicted_service_level=None
        if unstable
        else service_level(agents_staffed, traffic, aht_s, threshold_s),
        agents_needed=agents_needed(traffic, aht_s, threshold_s, target),
    )
