"""PostgreSQL: overlapping writers while pullers follow the log; every change seen exactly once."""

import threading
import uuid
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import select

from server.db import tables as t
from tests.api.conftest import World, build_world
from tests.api.sync_helpers import Mirror, login

pytestmark = pytest.mark.postgres

WRITERS = 8
BATCHES = 12
PER_BATCH = 4


def test_overlapping_writers_and_followers(pg_url: str, live_server: Any) -> None:
    server = live_server(pg_url)
    world: World = build_world(server.url, pg_url)
    scope = f"territory:{world.territory['north']}"
    created: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            m = Mirror(login(world.url, "rep"))
            for _ in range(BATCHES):
                batch = []
                for _ in range(PER_BATCH):
                    iid = str(uuid.uuid4())
                    batch.append(
                        m.mutation(
                            "interaction",
                            iid,
                            "append",
                            {
                                "customer_id": world.customer["ann"],
                                "channel": "field_visit",
                                "occurred_at": "2026-03-01T09:00:00+00:00",
                                "summary": f"visit by writer {n}",
                            },
                        )
                    )
                results = m.push(*batch)
                assert all(r["outcome"] == "applied" for r in results)
                with lock:
                    created.extend(b["entity_id"] for b in batch)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    pullers = [world.mirror("rep", scope) for _ in range(2)]

    def follow(m: Mirror) -> None:
        try:
            while not stop.is_set():
                m.pull_once(limit=7)
            m.pull_all(limit=7)
        except BaseException as exc:
            errors.append(exc)

    follower_threads = [threading.Thread(target=follow, args=(p,)) for p in pullers]
    writer_threads = [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
    for th in follower_threads + writer_threads:
        th.start()
    for th in writer_threads:
        th.join()
    stop.set()
    for th in follower_threads:
        th.join()
    assert not errors, errors
    assert len(created) == WRITERS * BATCHES * PER_BATCH
    with world.db.read() as conn:
        committed = {
            r.seq
            for r in conn.execute(
                select(t.change_scope.c.seq)
                .join(t.change_log, t.change_log.c.seq == t.change_scope.c.seq)
                .where(t.change_scope.c.scope == scope, t.change_log.c.entity == "interaction")
            )
        }
    for p in pullers:
        seen = Counter(
            row_id for (s, _seq, entity, row_id, op) in p.seen if entity == "interaction" and op == "upsert"
        )
        assert all(seen[i] == 1 for i in created), "a committed change was skipped or seen twice"
        log_seqs = [seq for (s, seq, entity, _i, _op) in p.seen if entity == "interaction"]
        assert log_seqs == sorted(log_seqs)
        snapshot_max = min(log_seqs) if log_seqs else 0
        assert {q for q in committed if q > snapshot_max} <= set(log_seqs)
        assert p.checksum(scope) == p.server_checksum(scope)["checksum"]
    world.db.dispose()
