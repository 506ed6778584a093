"""`run_seed`: a realistic, deterministic demo contact centre, written fast.

One `sync_counter` value is taken for the whole seed and every row gets `version=1` and that
`last_modified_seq`; no change-log rows are written (snapshot priming reads the tables). The
affinity model is computed from the seeded holdings last (`seed.model`). On
SQLite the seed holds an exclusive lock until it is done (other connections wait or time out);
on PostgreSQL rows are committed in chunks, so a client priming meanwhile may see part of it.
The epoch is rotated at the end so every client re-primes.
"""

import multiprocessing
import random
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from multiprocessing.connection import Connection, wait
from typing import Final

from sqlalchemy import func, select, text

from server.db import tables as t
from server.db.bootstrap import rotate_epoch
from server.db.engine import Database
from server.offers.settings import ModelSettings
from server.seed.generate import Plan, generate, no_cycle_collection, worker_main
from server.seed.ids import Clock, IdSource
from server.seed.model import write_seed_model
from server.seed.reference import write_reference
from server.seed.report import SeedReport
from server.seed.targets import RowTarget, open_target

#: from this many customers on, rows are generated in a worker process
PARALLEL_FROM: Final = 20_000
#: generator processes; the parent process inserts what they send
GENERATOR_PROCESSES: Final = 2


class SeedError(RuntimeError):
    pass


def default_now() -> datetime:
    """The seed's "now": the current hour, so that two seeds within an hour are identical."""
    return datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


def _take_seq(db: Database) -> int:
    with db.write() as conn:
        if conn.execute(select(func.count()).select_from(t.customer)).scalar_one():
            raise SeedError("the database already holds customers; seed an empty database")
        seq: int = conn.execute(
            text("UPDATE sync_counter SET value = value + 1 WHERE id = 1 RETURNING value")
        ).scalar_one()
        return seq


def _can_fork() -> bool:
    """Forking is safe only without other threads (which may hold locks the child inherits)."""
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


def _in_workers(plan: Plan, target: RowTarget, report: Callable[[int], None], workers: int) -> dict[str, int]:
    """Generate in forked processes (one share of the blocks each); insert here what they send."""
    ctx = multiprocessing.get_context("fork")
    pipes = []
    procs = []
    for n in range(workers):
        receive, send = ctx.Pipe(duplex=False)
        proc = ctx.Process(
            target=worker_main, args=(plan, send, n, workers), name=f"seed-generator-{n}", daemon=True
        )
        proc.start()
        send.close()
        pipes.append(receive)
        procs.append(proc)
    progress = [0] * workers
    counts: dict[str, int] = {}
    open_pipes = list(pipes)
    try:
        while open_pipes:
            for ready in wait(open_pipes):
                assert isinstance(ready, Connection)
                message = ready.recv()
                if message[0] == "rows":
                    target.write(message[1], message[2], message[3])
                elif message[0] == "progress":
                    progress[pipes.index(ready)] = message[1]
                    report(sum(progress))
                elif message[0] == "done":
                    for table, count in message[1].items():
                        counts[table] = counts.get(table, 0) + count
                    open_pipes.remove(ready)
                else:
                    raise SeedError(f"the seed generator failed:\n{message[1]}")
        target.finish()
        return counts
    except BaseException:
        target.abort()
        for proc in procs:
            if proc.is_alive():
                proc.terminate()
        raise
    finally:
        for pipe in pipes:
            pipe.close()
        for proc in procs:
            proc.join()


def run_seed(
    db: Database,
    *,
    customers: int,
    seed: int = 1,
    progress: Callable[[str], None] | None = None,
    owner_ids: Sequence[str] = (),
    now: datetime | None = None,
    parallel: bool | None = None,
) -> SeedReport:
    """Seed an initialized, empty database with `customers` customers and all their history.

    The same `seed` and `now` give identical rows, ids included. `owner_ids` (demo users) own
    some of the cases; without them cases have no owner. `now` defaults to the current hour.
    `parallel` generates rows in a forked worker process (default: from 20,000 customers on, when
    the process has no other threads); the rows are the same either way.
    """
    started = time.perf_counter()
    rng = random.Random(seed)
    moment = now or default_now()
    seq = _take_seq(db)
    counts: dict[str, int] = {}
    with db.write() as conn:
        ref = write_reference(conn, IdSource(rng), Clock(moment), seq, counts)
    block_seed = rng.getrandbits(64)
    plan = Plan(
        rng.getstate(),
        ref,
        moment,
        "+00" if db.is_postgres else "",
        seq,
        customers,
        tuple(owner_ids),
        block_seed,
    )

    def report(done: int) -> None:
        if progress is not None:
            elapsed = time.perf_counter() - started
            progress(f"{done:,}/{customers:,} customers after {elapsed:.1f} s")

    use_worker = (customers >= PARALLEL_FROM if parallel is None else parallel) and _can_fork()
    with open_target(db) as target, no_cycle_collection():
        written = (
            _in_workers(plan, target, report, GENERATOR_PROCESSES)
            if use_worker
            else generate(plan, target, report)
        )
    for table, count in written.items():
        counts[table] = counts.get(table, 0) + count
    write_seed_model(db, IdSource(random.Random(block_seed)), seq, counts, ModelSettings.from_env())
    rotate_epoch(db)
    result = SeedReport(counts=counts, seconds=time.perf_counter() - started, seq=seq)
    if progress is not None:
        progress(result.summary())
    return result
