"""The distributions with a fixed seed: arrival counts, durations and callers within wide
statistical bounds computed from the parameters (no timing is measured)."""

import math
import random
from collections import Counter

import pytest

from server.simulator.callers import CallerBook
from server.simulator.clock import SimClock
from server.simulator.model import (
    CallerMix,
    DailyProfile,
    Distributions,
    LogNormal,
    Weibull,
    expected_arrivals,
)
from server.simulator.roster import build_roster
from server.simulator.setup import parse_duration_ms, parse_queues
from tests.simulator.helpers import HOUR_MS, KNOWN, QUEUES, START, make_engine

#: a bound of 5 standard deviations: a correct model fails it about once in 1.7 million runs
Z = 5.0


def test_arrivals_per_queue_match_the_rate_integral() -> None:
    engine = make_engine(3, agents=40)
    day = 24 * HOUR_MS
    engine.advance(day)
    offered = Counter(e.queue_id for e in engine.log if e.type == "contact_offered")
    offset = SimClock(START, speed=None).day_offset_ms()
    for load in engine.config.queues:
        mean = expected_arrivals(load, engine.config.profile, offset, day)
        assert mean > 300  # enough arrivals for the bound to mean something
        assert abs(offered[load.queue_id] - mean) <= Z * math.sqrt(mean), load.name


def test_the_daily_profile_shapes_the_arrivals() -> None:
    """The hour of the morning peak gets many times the arrivals of a night hour."""
    engine = make_engine(4, agents=40)
    engine.advance(24 * HOUR_MS)
    by_hour = Counter(int(e.at[11:13]) for e in engine.log if e.type == "contact_offered")
    assert by_hour[10] > 10 * max(by_hour[2], 1)


@pytest.mark.parametrize("dist", [Distributions().talk, Distributions().acw, LogNormal(100.0, 0.5, 0.0, 1e9)])
def test_lognormal_mean(dist: LogNormal) -> None:
    rng = random.Random(1)
    n = 20_000
    draws = [dist.draw_ms(rng) / 1000 for _ in range(n)]
    mean = sum(draws) / n
    sd = dist.mean_s * dist.cv
    # clipping to [min, max] moves the mean a little: allow 2 % on top of the sampling error
    assert abs(mean - dist.mean_s) <= Z * sd / math.sqrt(n) + 0.02 * dist.mean_s
    assert dist.min_s <= min(draws) and max(draws) <= dist.max_s


def test_weibull_patience_mean() -> None:
    patience = Weibull(scale_s=150.0, shape=0.9)
    rng = random.Random(2)
    n = 20_000
    draws = [patience.draw_ms(rng) / 1000 for _ in range(n)]
    mean = patience.scale_s * math.gamma(1 + 1 / patience.shape)
    sd = patience.scale_s * math.sqrt(
        math.gamma(1 + 2 / patience.shape) - math.gamma(1 + 1 / patience.shape) ** 2
    )
    assert abs(sum(draws) / n - mean) <= Z * sd / math.sqrt(n)


def test_caller_mix() -> None:
    mix = CallerMix(unknown_share=0.2, withheld_share=0.05)
    book = CallerBook(KNOWN, mix)
    rng = random.Random(3)
    n = 20_000
    numbers = [book.draw(rng) for _ in range(n)]
    withheld = sum(1 for x in numbers if x is None)
    unknown = sum(1 for x in numbers if x is not None and x not in KNOWN)
    for count, share in ((withheld, mix.withheld_share), (unknown, mix.unknown_share)):
        assert abs(count - n * share) <= Z * math.sqrt(n * share * (1 - share))
    assert all(x is None or x.startswith("+") for x in numbers)
    assert {x for x in numbers if x in KNOWN} == set(KNOWN)


def test_roster_covers_every_queue_with_breaks_and_lunch() -> None:
    roster = build_roster(7, [q for q, _ in QUEUES], random.Random(4))
    assert {q for member in roster for q in member.queues} == {q for q, _ in QUEUES}
    for member in roster:
        assert member.shift_end_ms - member.shift_start_ms == 8 * HOUR_MS + 30 * 60_000
        assert sorted(p.reason for p in member.pauses) == ["break", "break", "lunch"]
        assert all(member.shift_start_ms < p.start_ms < p.end_ms < member.shift_end_ms for p in member.pauses)


def test_profile_validation() -> None:
    with pytest.raises(ValueError):
        DailyProfile((1.0,) * 23)
    with pytest.raises(ValueError):
        DailyProfile((0.0,) * 24)


@pytest.mark.parametrize(
    ("text", "ms"),
    [("90s", 90_000), ("30m", 1_800_000), ("2h", 7_200_000), ("1h30m", 5_400_000), ("1d", 86_400_000)],
)
def test_durations(text: str, ms: int) -> None:
    assert parse_duration_ms(text) == ms


@pytest.mark.parametrize("text", ["", "2x", "h", "0s", "1h 30", "-1h"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration_ms(text)


def test_queue_option() -> None:
    assert parse_queues("a=Billing, b") == [("a", "Billing"), ("b", "b")]
    with pytest.raises(ValueError):
        parse_queues(" , ")
