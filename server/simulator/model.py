"""The simulator's distributions: arrivals, patience, talk, after-contact work, answer delay.

Every random draw comes from a named `random.Random` stream derived from the run's seed
(`Streams`), so a seed gives the same run and adding draws to one stream (say, one more queue's
arrivals) does not shift the others. Times are integer milliseconds: the engine, the event log and
the server then agree on every instant exactly.
"""

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

MS_PER_S: Final = 1000
MS_PER_H: Final = 3_600_000

#: arrival rate multiplier per hour of the (local) day: quiet night, a morning peak at 10-11
#: and a smaller afternoon peak at 14-15 (the shape of a typical inbound service line)
DEFAULT_PROFILE: Final[tuple[float, ...]] = (
    0.02, 0.01, 0.01, 0.01, 0.01, 0.03,  # 00-06
    0.10, 0.35, 0.70, 0.90, 1.00, 0.95,  # 06-12
    0.75, 0.80, 0.90, 0.85, 0.70, 0.55,  # 12-18
    0.40, 0.30, 0.20, 0.12, 0.06, 0.03,  # 18-24
)  # fmt: skip

#: relative share of the arrivals per queue, by the seeded queues' names (others: 1.0)
QUEUE_WEIGHTS: Final[dict[str, float]] = {
    "Billing": 3.0,
    "Technical Support": 3.0,
    "Sales": 2.0,
    "Retention": 1.2,
    "Field Dispatch": 0.8,
}


@dataclass(frozen=True, slots=True)
class DailyProfile:
    """A piecewise-constant arrival rate over the 24 hours of the local day."""

    multipliers: tuple[float, ...] = DEFAULT_PROFILE

    def __post_init__(self) -> None:
        if len(self.multipliers) != 24 or min(self.multipliers) < 0 or max(self.multipliers) <= 0:
            raise ValueError("a daily profile has 24 non-negative hourly multipliers, not all zero")

    def at_hour(self, hour: int) -> float:
        return self.multipliers[hour % 24]

    @property
    def peak(self) -> float:
        return max(self.multipliers)


@dataclass(frozen=True, slots=True)
class QueueLoad:
    """One queue's traffic: the arrival rate at the profile's peak (contacts per hour)."""

    queue_id: str
    name: str
    peak_rate_per_h: float


@dataclass(frozen=True, slots=True)
class LogNormal:
    """A log-normal duration given by its mean and coefficient of variation (seconds), clipped."""

    mean_s: float
    cv: float
    min_s: float
    max_s: float

    def draw_ms(self, rng: random.Random) -> int:
        sigma2 = math.log(1.0 + self.cv * self.cv)
        mu = math.log(self.mean_s) - sigma2 / 2.0
        value = rng.lognormvariate(mu, math.sqrt(sigma2))
        return round(min(max(value, self.min_s), self.max_s) * MS_PER_S)


@dataclass(frozen=True, slots=True)
class Weibull:
    """Callers' patience (time to abandon): Weibull with a scale in seconds; shape < 1 means many
    callers give up early and the rest wait long, as observed in call-centre data."""

    scale_s: float
    shape: float

    def draw_ms(self, rng: random.Random) -> int:
        return max(1, round(rng.weibullvariate(self.scale_s, self.shape) * MS_PER_S))


@dataclass(frozen=True, slots=True)
class Distributions:
    """Durations of a contact's life and of simulated agents' reactions."""

    patience: Weibull = Weibull(scale_s=150.0, shape=0.9)
    talk: LogNormal = LogNormal(mean_s=240.0, cv=0.8, min_s=15.0, max_s=3600.0)
    acw: LogNormal = LogNormal(mean_s=45.0, cv=0.7, min_s=3.0, max_s=900.0)
    #: a simulated agent's delay between the ring and the answer
    answer: LogNormal = LogNormal(mean_s=3.0, cv=0.5, min_s=0.5, max_s=12.0)
    #: the chance a simulated agent lets a contact ring out (then it is re-queued)
    miss_probability: float = 0.02
    #: how long an offered contact rings before it goes back to the queue
    ring_timeout_s: float = 20.0
    #: the not-ready time ("other") of a simulated agent who let a contact ring out
    missed_pause_s: float = 60.0


@dataclass(frozen=True, slots=True)
class CallerMix:
    """Who calls: the share of unknown numbers and of withheld numbers (the rest are customers)."""

    unknown_share: float = 0.15
    withheld_share: float = 0.03


@dataclass(frozen=True, slots=True)
class SimulationConfig:
    """Everything a run depends on besides the clock; the same config and seed, the same log."""

    seed: int
    queues: Sequence[QueueLoad]
    agents: int = 12
    profile: DailyProfile = field(default_factory=DailyProfile)
    durations: Distributions = field(default_factory=Distributions)
    callers: CallerMix = field(default_factory=CallerMix)


class Streams:
    """Independent random streams of one run, each seeded from (seed, name)."""

    def __init__(self, seed: int) -> None:
        self._seed = seed
        self._streams: dict[str, random.Random] = {}

    def get(self, name: str) -> random.Random:
        rng = self._streams.get(name)
        if rng is None:
            rng = self._streams[name] = random.Random(f"liaison-simulator:{self._seed}:{name}")
        return rng


def default_loads(
    queues: Sequence[tuple[str, str]], agents: int, durations: Distributions
) -> list[QueueLoad]:
    """Peak arrival rates that keep `agents` agents busy but not swamped at the peak.

    About 70 % of the agents are on shift and not on a break at the peak; the rates aim at 85 %
    occupancy of those: total = 0.85 · 0.7 · agents · 3600 / AHT, split by QUEUE_WEIGHTS.
    """
    if not queues:
        return []
    aht_s = durations.talk.mean_s + durations.acw.mean_s
    total = 0.85 * 0.7 * max(agents, 1) * 3600.0 / aht_s
    weights = [QUEUE_WEIGHTS.get(name, 1.0) for _, name in queues]
    scale = total / sum(weights)
    return [
        QueueLoad(queue_id=qid, name=name, peak_rate_per_h=w * scale)
        for (qid, name), w in zip(queues, weights, strict=True)
    ]


def expected_arrivals(load: QueueLoad, profile: DailyProfile, start_hour_ms: int, duration_ms: int) -> float:
    """The expected number of arrivals in [start, start + duration) where `start_hour_ms` is the
    start's offset into its local day: the integral of the piecewise-constant rate."""
    total = 0.0
    t = start_hour_ms
    end = start_hour_ms + duration_ms
    while t < end:
        hour = t // MS_PER_H
        step_end = min(end, (hour + 1) * MS_PER_H)
        total += load.peak_rate_per_h * profile.at_hour(hour) * (step_end - t) / MS_PER_H
        t = step_end
    return total
