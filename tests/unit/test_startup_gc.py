"""The start-up pause of the garbage collector (desktop/startup_gc.py): off until `resume`, which
freezes what start-up left alive and turns it back on once; a no-op when nothing was paused."""

import gc
from collections.abc import Iterator

import pytest

from desktop import startup_gc


@pytest.fixture
def collector() -> Iterator[None]:
    was_enabled = gc.isenabled()
    yield
    startup_gc.resume()
    gc.unfreeze()  # the test's freeze must not keep the rest of the session's objects forever
    if was_enabled:
        gc.enable()
    else:
        gc.disable()


@pytest.mark.usefixtures("collector")
def test_pause_then_resume_freezes_the_start_up_heap_once() -> None:
    gc.enable()
    gc.unfreeze()
    startup_gc.pause()
    assert not gc.isenabled() and startup_gc.paused()
    survivor = [object() for _ in range(100)]
    startup_gc.resume()
    assert gc.isenabled() and not startup_gc.paused()
    assert gc.get_freeze_count() > 0
    assert gc.is_tracked(survivor)
    frozen = gc.get_freeze_count()
    gc.disable()
    startup_gc.resume()  # once only: nothing paused any more
    assert not gc.isenabled() and gc.get_freeze_count() == frozen


@pytest.mark.usefixtures("collector")
def test_resume_without_a_pause_changes_nothing() -> None:
    gc.enable()
    gc.unfreeze()
    startup_gc.resume()
    assert gc.isenabled() and gc.get_freeze_count() == 0
    gc.disable()
    startup_gc.pause()  # the collector was off already: not ours to turn back on
    startup_gc.resume()
    assert not gc.isenabled() and gc.get_freeze_count() == 0
