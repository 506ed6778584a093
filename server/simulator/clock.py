"""Simulated time versus wall time.

The engine counts integer milliseconds from the run's start instant; `SimClock` turns them into
the wire's ISO 8601 timestamps and, in real-time mode, tells how far the simulation may advance
by now (`speed` 1.0 is real time, 60.0 one simulated minute per second; the daily profile follows
simulated time, the timestamps follow the wall clock). In as-fast-as-possible mode (`speed` None)
nothing waits: the whole run is computed at once with timestamps from the start instant, which is
what tests and benchmarks use.
"""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from server.simulator.model import MS_PER_H


@dataclass
class SimClock:
    """`start` must be timezone-aware: its offset is the local day of the daily profile."""

    start: datetime
    #: simulated seconds per wall second; None: as fast as possible
    speed: float | None = 1.0
    monotonic: Callable[[], float] = time.monotonic
    _wall_start: float | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.start.utcoffset() is None:
            raise ValueError("the simulation's start needs a time zone offset")
        if self.speed is not None and self.speed <= 0:
            raise ValueError("the speed must be above 0")
        # whole milliseconds: every simulated instant is then exactly representable on the wire
        self.start = self.start.replace(microsecond=self.start.microsecond // 1000 * 1000)

    @property
    def fast(self) -> bool:
        return self.speed is None

    def iso(self, ms: int) -> str:
        """The wire timestamp of simulated instant `ms` (whole milliseconds, the start's offset).

        As fast as possible: the start plus the simulated time. In real time: the wall instant the
        clock reaches it (start + ms / speed), so a server reading its own clock sees every event
        when it happens; at a speed above 1 it sees a contact centre in fast forward (all its
        durations divided by the speed), which is what a demo wants.
        """
        offset = ms if self.speed is None else round(ms / self.speed)
        return (self.start + timedelta(milliseconds=offset)).isoformat(timespec="milliseconds")

    def day_offset_ms(self) -> int:
        """The start's offset into its local day (for the daily profile)."""
        local = self.start
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        return int((local - midnight) / timedelta(milliseconds=1)) % (24 * MS_PER_H)

    def begin(self) -> None:
        """Real-time mode: simulated instant 0 is now."""
        self._wall_start = self.monotonic()

    def now_ms(self) -> int:
        """Real-time mode: the simulated instant the wall clock has reached."""
        if self.speed is None:
            raise RuntimeError("an as-fast-as-possible clock has no 'now'")
        if self._wall_start is None:
            self.begin()
        assert self._wall_start is not None
        return int((self.monotonic() - self._wall_start) * self.speed * 1000)

    def wait_until(self, ms: int, stop: threading.Event) -> bool:
        """Real-time mode: block until simulated instant `ms` or `stop`; False when stopped."""
        if self.speed is None:
            return not stop.is_set()
        remaining = (ms - self.now_ms()) / 1000.0 / self.speed
        if remaining > 0:
            return not stop.wait(remaining)
        return not stop.is_set()
