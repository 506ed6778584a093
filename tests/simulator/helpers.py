"""Building engines for the simulator's tests (fixed start, seed and queues)."""

from datetime import UTC, datetime
from typing import Final

from server.simulator.callers import CallerBook
from server.simulator.clock import SimClock
from server.simulator.engine import Engine
from server.simulator.model import CallerMix, Distributions, SimulationConfig, default_loads

START: Final = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
QUEUES: Final = [("q-billing", "Billing"), ("q-tech", "Technical Support"), ("q-sales", "Sales")]
KNOWN: Final = ["+441632960001", "+441632960002", "+441632960003", "+33612345678"]
HOUR_MS: Final = 3_600_000


def make_engine(
    seed: int = 11,
    *,
    agents: int = 12,
    start: datetime = START,
    queues: list[tuple[str, str]] | None = None,
    durations: Distributions | None = None,
) -> Engine:
    durations = durations or Distributions()
    config = SimulationConfig(
        seed=seed,
        queues=default_loads(queues if queues is not None else QUEUES, agents, durations),
        agents=agents,
        durations=durations,
    )
    return Engine(config, SimClock(start, speed=None), CallerBook(KNOWN, CallerMix()))
