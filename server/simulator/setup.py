"""Building a run from options: the duration syntax, the queues' loads, the engine and the sink."""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

import httpx

from server.simulator.callers import CallerBook
from server.simulator.clock import SimClock
from server.simulator.engine import Engine
from server.simulator.model import MS_PER_S, CallerMix, Distributions, SimulationConfig, default_loads

_DURATION: Final = re.compile(r"(\d+(?:\.\d+)?)([dhms])")
_UNIT_S: Final = {"d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0}
HTTP_TIMEOUT_S: Final = 30.0


def parse_duration_ms(text: str) -> int:
    """'90s', '30m', '2h', '1h30m', '1d' → milliseconds; ValueError otherwise."""
    compact = text.strip().lower().replace(" ", "")
    parts = _DURATION.findall(compact)
    if not compact or "".join(n + u for n, u in parts) != compact:
        raise ValueError(f"not a duration: {text!r} (e.g. 90s, 30m, 2h, 1h30m, 1d)")
    ms = round(sum(float(n) * _UNIT_S[u] for n, u in parts) * MS_PER_S)
    if ms <= 0:
        raise ValueError("the duration must be above 0")
    return ms


def parse_start(text: str | None) -> datetime:
    """An ISO 8601 instant (UTC when it has no offset); now (UTC) when None."""
    if text is None:
        return datetime.now(UTC)
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not an ISO 8601 instant: {text!r}") from None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def parse_queues(text: str) -> list[tuple[str, str]]:
    """'id[=name],id[=name]' → [(id, name)] (the name defaults to the id)."""
    queues: list[tuple[str, str]] = []
    for part in text.split(","):
        queue_id, _, name = part.strip().partition("=")
        if queue_id.strip():
            queues.append((queue_id.strip(), name.strip() or queue_id.strip()))
    if not queues:
        raise ValueError("no queues given")
    return queues


@dataclass(frozen=True, slots=True)
class RunPlan:
    """What a run needs besides the server: seed, queues, agents, numbers, clock."""

    seed: int
    queues: Sequence[tuple[str, str]]
    agents: int
    numbers: Sequence[str]
    start: datetime
    #: simulated seconds per wall second; None: as fast as possible
    speed: float | None

    def engine(self) -> Engine:
        durations = Distributions()
        config = SimulationConfig(
            seed=self.seed,
            queues=default_loads(self.queues, self.agents, durations),
            agents=self.agents,
            durations=durations,
        )
        clock = SimClock(self.start, speed=self.speed)
        return Engine(config, clock, CallerBook(self.numbers, CallerMix()))


def http_client(url: str) -> httpx.Client:
    return httpx.Client(base_url=url.rstrip("/"), timeout=HTTP_TIMEOUT_S)
