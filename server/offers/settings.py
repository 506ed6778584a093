"""The affinity model's thresholds and schedule, from `LIAISON_OFFERS_*` environment variables."""

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

ENV_PREFIX: Final = "LIAISON_OFFERS_"


@dataclass(frozen=True, slots=True)
class ModelSettings:
    """Thresholds a rule (antecedent product → offer) must pass to enter the model, and the schedule.

    The defaults keep only associations that are both common (0.5 % of baskets, at least 20
    customers: no rule from a handful of coincidences) and strong (owners of the antecedent are at
    least 1.5 times as likely as anyone to own the offer's product).
    """

    min_support: float = 0.005
    min_lift: float = 1.5
    min_pair_count: int = 20
    #: categories never used on either side of a rule, besides those of products/offers flagged sensitive
    sensitive_categories: frozenset[str] = frozenset({"health"})
    #: recompute this often (and at start-up when the last run is older)
    recompute_hours: float = 6.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.min_support <= 1.0:
            raise ValueError("min_support must be between 0 and 1")
        if self.min_lift < 0.0 or self.min_pair_count < 1:
            raise ValueError("min_lift must be ≥ 0 and min_pair_count ≥ 1")
        if self.recompute_hours <= 0.0:
            raise ValueError("recompute_hours must be positive")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "ModelSettings":
        """`LIAISON_OFFERS_MIN_SUPPORT`, `_MIN_LIFT`, `_MIN_PAIR_COUNT`, `_SENSITIVE_CATEGORIES`
        (comma separated) and `_RECOMPUTE_HOURS`; unset ones keep their defaults."""
        env = os.environ if environ is None else environ
        base = cls()

        def number(name: str, default: float) -> float:
            raw = env.get(ENV_PREFIX + name)
            if raw is None:
                return default
            try:
                return float(raw)
            except ValueError:
                raise ValueError(f"{ENV_PREFIX}{name}: expected a number, got {raw!r}") from None

        raw_categories = env.get(ENV_PREFIX + "SENSITIVE_CATEGORIES")
        categories = (
            base.sensitive_categories
            if raw_categories is None
            else frozenset(c.strip() for c in raw_categories.split(",") if c.strip())
        )
        return cls(
            min_support=number("MIN_SUPPORT", base.min_support),
            min_lift=number("MIN_LIFT", base.min_lift),
            min_pair_count=int(number("MIN_PAIR_COUNT", base.min_pair_count)),
            sensitive_categories=categories,
            recompute_hours=number("RECOMPUTE_HOURS", base.recompute_hours),
        )
