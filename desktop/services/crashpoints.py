"""Crash points for the reliability tests (SYNC.md §5): `LIAISON_CRASHPOINT=<name>` makes the
process `os._exit(137)` (as after `kill -9`) when the sync engine reaches the named point.

`LIAISON_CRASHPOINT_SKIP=<n>` lets the first `n` hits of that point pass (crash at a later page
or batch). Without the variable `hit` is a no-op; the environment is read on every call.
"""

import os
import sys

ENV_NAME = "LIAISON_CRASHPOINT"
ENV_SKIP = "LIAISON_CRASHPOINT_SKIP"
EXIT_CODE = 137

_hits: dict[str, int] = {}


def armed(name: str) -> bool:
    """Whether `name` is the point the environment arms (a caller may take a slower path then)."""
    return os.environ.get(ENV_NAME) == name


def hit(name: str) -> None:
    """Exit at once (no cleanup, no flush of anything but stdio) if `name` is the armed point."""
    if os.environ.get(ENV_NAME) != name:
        return
    seen = _hits.get(name, 0)
    _hits[name] = seen + 1
    if seen < int(os.environ.get(ENV_SKIP) or "0"):
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(EXIT_CODE)
