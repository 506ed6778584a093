"""An outbox entry counts as sent from the moment a push claims it: after a crash (inflight put
back to pending) or an epoch re-queue, a later edit of the record gets an entry of its own."""

import json
from pathlib import Path

from desktop.services.store import apply_local_edit, open_cache
from desktop.services.store.schema import acked_log, outbox
from desktop.services.sync_outbox import claim_batch, release_inflight, requeue_for_epoch


def _entries(path: Path) -> list[tuple[str, str, int]]:
    cache, _report = open_cache(path, None)
    with cache, cache.read() as conn:
        return [
            (str(r.mutation_id), json.loads(r.new_values)["display_name"], int(r.attempts))
            for r in conn.execute(outbox.select().order_by(outbox.c.client_seq))
        ]


def test_claimed_then_released_by_a_crash_is_never_squashed(tmp_path: Path) -> None:
    path = tmp_path / "cache.db"
    cache, _report = open_cache(path, None)
    with cache:
        apply_local_edit(
            cache.writer, "customer", "c9", "create", {"display_name": "One", "territory_id": "t"}
        )
        [claimed] = claim_batch(cache.writer, 10)
        assert release_inflight(cache.writer) == 1  # the restart after a crash mid-push
        apply_local_edit(cache.writer, "customer", "c9", "update", {"display_name": "Two"})
    [(first, name1, tries1), (second, name2, tries2)] = _entries(path)
    assert (first, name1, tries1) == (claimed.mutation_id, "One", 1)
    assert (name2, tries2) == ("Two", 0) and second != first


def test_requeued_after_an_epoch_reset_keeps_counting_as_sent(tmp_path: Path) -> None:
    path = tmp_path / "cache.db"
    cache, _report = open_cache(path, None)
    with cache:
        apply_local_edit(
            cache.writer, "customer", "c9", "create", {"display_name": "One", "territory_id": "t"}
        )
        claim_batch(cache.writer, 10)
        with cache.writer.transaction() as conn:
            conn.execute(outbox.update().values(state="acked"))
        assert requeue_for_epoch(cache.writer, "2000-01-01T00:00:00+00:00") == 1
        with cache.read() as conn:
            assert conn.execute(acked_log.select()).all() == []
        apply_local_edit(cache.writer, "customer", "c9", "update", {"display_name": "Two"})
    assert [(name, tries) for _m, name, tries in _entries(path)] == [("One", 1), ("Two", 0)]
