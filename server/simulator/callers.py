"""Callers' numbers: the seeded customers' phones, some unknown numbers and a few withheld.

In-process the known numbers come from the server's database (`sources.numbers_from_database`);
standalone from a file with one number a line
(`numbers_from_file`). Unknown numbers are plausible E.164 numbers that are not in the known set,
so the desktop's "new customer" path gets exercised.
"""

import random
from collections.abc import Iterable
from pathlib import Path
from typing import Final

from server.simulator.model import CallerMix

#: unknown callers' numbers: UK mobiles (+44 7…), which the seeded data uses too
UNKNOWN_PREFIX: Final = "+447"


class CallerBook:
    """Draws a caller's number: None (withheld), an unknown number, or a known customer's."""

    def __init__(self, known: Iterable[str], mix: CallerMix) -> None:
        # sorted and deduplicated: the same numbers in any order give the same run
        self.known: tuple[str, ...] = tuple(sorted({n.strip() for n in known if n.strip()}))
        self._known_set = frozenset(self.known)
        self.mix = mix

    def draw(self, rng: random.Random) -> str | None:
        roll = rng.random()
        if roll < self.mix.withheld_share:
            return None
        if roll < self.mix.withheld_share + self.mix.unknown_share or not self.known:
            return self._unknown(rng)
        return self.known[rng.randrange(len(self.known))]

    def _unknown(self, rng: random.Random) -> str:
        while True:
            number = UNKNOWN_PREFIX + "".join(str(rng.randrange(10)) for _ in range(9))
            if number not in self._known_set:
                return number


def numbers_from_file(path: Path) -> list[str]:
    """One number a line; blank lines and lines starting with # are skipped."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
