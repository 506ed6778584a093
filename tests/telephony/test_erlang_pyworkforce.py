"""Erlang C against pyworkforce's `ErlangC` (an independent implementation, a test dependency).

pyworkforce takes transactions per interval and times in minutes; ours takes traffic in erlangs
and seconds. On a grid of arrival rates, handle times and agent counts the probability of waiting,
the predicted service level and the fewest agents reaching the target agree.
"""

import pytest
from pyworkforce.queuing import ErlangC

from server.telephony.erlang import agents_needed, erlang_c, service_level, staffing_advice

THRESHOLD_S = 20.0
TARGET = 0.8
GRID = [
    (rate_per_h, aht_s, agents)
    for rate_per_h in (6, 45, 120, 600, 2400)
    for aht_s in (60, 180, 300, 600)
    for agents in (1, 3, 10, 25, 60, 150, 400)
]


def theirs(rate_per_h: float, aht_s: float) -> ErlangC:
    # 60 transactions per 60-minute interval = rate per hour; AHT and ASA in minutes
    return ErlangC(transactions=rate_per_h, aht=aht_s / 60, asa=THRESHOLD_S / 60, interval=60)


@pytest.mark.parametrize(("rate_per_h", "aht_s", "agents"), GRID)
def test_waiting_probability_and_service_level_agree(rate_per_h: int, aht_s: int, agents: int) -> None:
    traffic = rate_per_h * aht_s / 3600
    if traffic >= agents:
        advice = staffing_advice(rate_per_h, aht_s, agents, THRESHOLD_S, TARGET)
        assert advice.unstable and advice.predicted_service_level is None
        return
    reference = theirs(rate_per_h, aht_s)
    assert erlang_c(agents, traffic) == pytest.approx(
        reference.waiting_probability(agents), rel=1e-9, abs=1e-12
    )
    assert service_level(agents, traffic, aht_s, THRESHOLD_S) == pytest.approx(
        reference.service_level(agents), rel=1e-9, abs=1e-12
    )


@pytest.mark.parametrize("rate_per_h", [6, 45, 120, 600, 2400])
@pytest.mark.parametrize("aht_s", [60, 180, 300, 600])
def test_fewest_agents_for_the_target_agree(rate_per_h: int, aht_s: int) -> None:
    traffic = rate_per_h * aht_s / 3600
    ours = agents_needed(traffic, aht_s, THRESHOLD_S, TARGET)
    reference = theirs(rate_per_h, aht_s).required_positions(service_level=TARGET)["positions"]
    assert ours is not None
    # pyworkforce starts its search at round(A + 1) agents; ours at the fewest stable count
    # (floor(A) + 1): where ours is below its starting point, it answers its starting point
    start = round(traffic + 1)
    assert ours == reference if ours >= start else reference == start
