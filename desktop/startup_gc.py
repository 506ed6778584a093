"""No garbage collection while the process starts; the start-up heap frozen once the window shows.

Importing SQLAlchemy, the store and Qt allocates a few hundred thousand objects, and CPython's
collector runs about 150 times on the way to the first paint (40-80 ms of the cold start,
bench/cold_start.py), finding almost nothing: modules, classes and their tables live for the whole
run. So the GUI pauses the collector first thing (`pause`) and, once its window has painted or
after `RESUME_AT_LATEST_MS` (a start that ends in the sign-in dialog), `resume` moves everything
alive into the permanent generation (`gc.freeze`: later collections never scan the start-up heap
again, which also keeps them short while the agent works) and turns the collector back on.
The cost: a cycle that became garbage during start-up is not freed; start-up makes few.
Headless commands (`liaison sync`, `pop`, `offers`) never pause it.
"""

import gc
from typing import Final

#: the collector is back on this long after the event loop starts, at the latest
RESUME_AT_LATEST_MS: Final = 3_000


class _Pause:
    """Whether `pause` turned the collector off (and `resume` has not turned it on yet)."""

    def __init__(self) -> None:
        self.active = False

    def pause(self) -> None:
        """Turn the collector off until `resume` (the GUI's start)."""
        if gc.isenabled():
            gc.disable()
            self.active = True

    def resume(self) -> None:
        """Freeze what start-up left alive and turn the collector back on (once; a no-op when
        `pause` did not turn it off)."""
        if not self.active:
            return
        self.active = False
        gc.freeze()
        gc.enable()


_PAUSE = _Pause()
pause = _PAUSE.pause
resume = _PAUSE.resume


def paused() -> bool:
    return _PAUSE.active
