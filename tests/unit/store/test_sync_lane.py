"""The cycle's write lane (desktop/services/sync_lane.py): the deferred search rebuild runs batch by
batch behind the work handed to the lane, `finish` returns once nothing is left (or raises the
rebuild's failure), and a stopped or abandoned rebuild ends after its batch, leaving the rest
listed for the next cycle."""

import threading

import pytest

from desktop.services.store import Cache, apply_page, search
from desktop.services.store.apply import REINDEX_BATCH
from desktop.services.store.driver import raw
from desktop.services.store.search_index import dirty_count
from desktop.services.sync_lane import WriteLane
from tests.unit.store.conftest import ChangeFactory

#: customers a snapshot lists for the rebuild: two batches
CUSTOMERS = REINDEX_BATCH + 500


class Refused(Exception):
    pass


def _snapshot(cache: Cache, change: ChangeFactory) -> None:
    customers = [change("customer", f"c{n:05}", 1, display_name=f"Person {n:05}") for n in range(CUSTOMERS)]
    apply_page(cache.writer, "directory", customers, "a1", defer_search=True)


def _dirty(cache: Cache) -> int:
    with cache.read() as conn:
        return dirty_count(conn)


def test_pages_handed_to_the_lane_go_between_two_batches_and_finish_waits_for_the_last(
    cache: Cache, change: ChangeFactory
) -> None:
    _snapshot(cache, change)
    lane = WriteLane()
    opened = threading.Event()
    lane.submit(opened.wait)  # holds the lane until everything below is queued
    progress: list[int] = []
    lane.start_index(cache, lambda: progress.append(_dirty(cache)))
    lane.start_index(cache, lambda: progress.append(-1))  # one rebuild at a time: this adds none
    between = lane.submit(_dirty, cache)  # queued behind the first batch, before the second
    opened.set()
    assert between.result() == CUSTOMERS - REINDEX_BATCH
    lane.finish()
    assert progress == [CUSTOMERS - REINDEX_BATCH, 0]
    assert _dirty(cache) == 0
    with cache.read() as conn:
        assert [h.customer_id for h in search(raw(conn), f"person {CUSTOMERS - 1:05}")] == [
            f"c{CUSTOMERS - 1:05}"
        ]


def test_finish_raises_the_rebuild_failure(cache: Cache, change: ChangeFactory) -> None:
    _snapshot(cache, change)
    lane = WriteLane()

    def refuse() -> None:
        raise Refused("stalled")

    lane.start_index(cache, refuse)
    with pytest.raises(Refused):
        lane.finish()
    assert _dirty(cache) == CUSTOMERS - REINDEX_BATCH  # the first batch committed before the failure


def test_a_stopped_rebuild_ends_after_its_batch_and_leaves_the_rest_listed(
    cache: Cache, change: ChangeFactory
) -> None:
    _snapshot(cache, change)
    lane = WriteLane()
    lane.start_index(cache, lane.stop)  # stopped right after the first batch
    lane.finish()
    assert _dirty(cache) == CUSTOMERS - REINDEX_BATCH


def test_abandon_logs_the_rebuild_failure_instead_of_raising_it(cache: Cache, change: ChangeFactory) -> None:
    _snapshot(cache, change)
    lane = WriteLane()

    def refuse() -> None:
        raise Refused("stalled")

    lane.start_index(cache, refuse)
    lane.abandon()
    assert _dirty(cache) == CUSTOMERS - REINDEX_BATCH
