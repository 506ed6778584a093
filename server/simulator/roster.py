"""Simulated agents: who they are, which queues they serve, their shifts, breaks and lunch.

A shift is 8.5 hours with a 15-minute break after about two hours, a 30-minute lunch mid-shift and
another 15-minute break about two hours before the end. Start times are spread over the morning
so the staffing follows the daily profile roughly (more agents at the morning peak). Everything
is drawn from the `roster` stream, so a seed gives the same people every time.
"""

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from server.simulator.model import MS_PER_H
from wire.telephony import NotReadyReason

MINUTE_MS: Final = 60_000
SHIFT_MS: Final = 8 * MS_PER_H + 30 * MINUTE_MS
#: shift starts (local hour, share of the agents)
SHIFT_STARTS: Final[tuple[tuple[int, float], ...]] = ((7, 0.25), (8, 0.3), (9, 0.25), (11, 0.2))
GIVEN_NAMES: Final = (
    "Alex", "Sam", "Jordan", "Priya", "Mateo", "Yuki", "Fatima", "Lars", "Chloe", "Kwame",
    "Ines", "Tomasz", "Aisha", "Noah", "Mei", "Omar", "Sofia", "Ravi", "Elena", "Jonas",
)  # fmt: skip
FAMILY_INITIALS: Final = "ABCDEFGHJKLMNPRSTVW"


@dataclass(frozen=True, slots=True)
class Pause:
    """A not-ready period within a shift (local-day milliseconds)."""

    start_ms: int
    end_ms: int
    reason: NotReadyReason


@dataclass(frozen=True, slots=True)
class RosterAgent:
    agent_id: str
    name: str
    queues: tuple[str, ...]
    #: shift start and end as milliseconds from the local midnight of the day
    shift_start_ms: int
    shift_end_ms: int
    pauses: tuple[Pause, ...]


def _pick_start_hour(rng: random.Random) -> int:
    roll = rng.random()
    for hour, share in SHIFT_STARTS:
        roll -= share
        if roll < 0:
            return hour
    return SHIFT_STARTS[-1][0]


def build_roster(count: int, queue_ids: Sequence[str], rng: random.Random) -> list[RosterAgent]:
    """`count` agents; agent k serves queue k mod Q (so every queue has someone) plus up to two more."""
    agents: list[RosterAgent] = []
    for k in range(count):
        own = queue_ids[k % len(queue_ids)] if queue_ids else None
        others = [q for q in queue_ids if q != own]
        extra = rng.sample(others, min(len(others), rng.randint(0, 2)))
        queues = tuple(q for q in queue_ids if q == own or q in extra)
        start = _pick_start_hour(rng) * MS_PER_H + rng.randrange(0, 30) * MINUTE_MS
        end = start + SHIFT_MS
        first = start + 2 * MS_PER_H + rng.randrange(-15, 16) * MINUTE_MS
        lunch = start + 4 * MS_PER_H + rng.randrange(-20, 21) * MINUTE_MS
        second = end - 2 * MS_PER_H + rng.randrange(-15, 16) * MINUTE_MS
        pauses = (
            Pause(first, first + 15 * MINUTE_MS, "break"),
            Pause(lunch, lunch + 30 * MINUTE_MS, "lunch"),
            Pause(second, second + 15 * MINUTE_MS, "break"),
        )
        name = f"{GIVEN_NAMES[k % len(GIVEN_NAMES)]} {FAMILY_INITIALS[(k * 7) % len(FAMILY_INITIALS)]}. (sim)"
        agents.append(RosterAgent(f"sim-agent-{k + 1:03d}", name, queues, start, end, pauses))
    return agents
