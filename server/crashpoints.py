"""Server-side crash points for the reliability tests (SYNC.md §5, scenario 24).

`LIAISON_SERVER_CRASHPOINT=<name>` makes the server process `os._exit(137)` (as after `kill -9`:
no cleanup, no response, open transactions left to the database to roll back) when a request
reaches the named point. `LIAISON_SERVER_CRASHPOINT_SKIP=<n>` lets the first `n` hits pass, so the
crash lands in the middle of a batch. Hits are counted per process, across request threads.

Points:
- `after_mutation_commit`: right after one push mutation's transaction committed (its domain
  rows, change log and dedupe row are durable), before the next one starts and before the response.

The environment is read once, at import: when the variable is unset `hit` is a single `None`
check, so production pays nothing. An unknown point name fails at import (a typo must not make a
test silently crash nowhere).
"""

import os
import sys
import threading
from dataclasses import dataclass, field
from typing import Final

ENV_NAME: Final = "LIAISON_SERVER_CRASHPOINT"
ENV_SKIP: Final = "LIAISON_SERVER_CRASHPOINT_SKIP"
EXIT_CODE: Final = 137
POINTS: Final = frozenset({"after_mutation_commit"})


@dataclass
class _Armed:
    """The armed point, how many hits pass, and how many happened in this process."""

    name: str
    skip: int
    hits: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def passes(self) -> bool:
        with self.lock:
            seen = self.hits
            self.hits += 1
        return seen < self.skip


def _from_env() -> _Armed | None:
    name = os.environ.get(ENV_NAME)
    if not name:
        return None
    if name not in POINTS:
        raise ValueError(f"{ENV_NAME}={name!r} is not a server crash point ({', '.join(sorted(POINTS))})")
    return _Armed(name, int(os.environ.get(ENV_SKIP) or "0"))


_ARMED: Final = _from_env()


def hit(name: str) -> None:
    """Exit the process at once if `name` is the armed point and its skipped hits are used up."""
    armed = _ARMED
    if armed is None or armed.name != name or armed.passes():
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(EXIT_CODE)
