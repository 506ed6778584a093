"""Generating every customer's rows from a plan, in this process or in a worker process.

The plan carries the random generator's state after the reference data was drawn, so the rows
are identical whichever process generates them. In a worker, chunks travel to the parent
through a pipe (the pipe's small buffer bounds memory); the parent only inserts, so generation
and insertion use one core each.
"""

import gc
import random
import threading
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.connection import Connection
from typing import Any

from server.seed.bulk import BulkWriter, Row, RowTarget
from server.seed.customers import CustomerFactory
from server.seed.history import HistoryFactory
from server.seed.holdings import HoldingFactory
from server.seed.ids import Clock, IdSource
from server.seed.reference import Reference

PROGRESS_EVERY = 25_000
#: customers per block: each block has its own random stream (seeded from the plan and the block
#: number) and its own range of case numbers, so any number of workers produce the same rows
BLOCK = 5_000
MAX_CASES_PER_CUSTOMER = 4


@contextmanager
def no_cycle_collection() -> Iterator[None]:
    """Millions of acyclic row tuples: the cycle collector would rescan them over and over."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


@dataclass(frozen=True, slots=True)
class Plan:
    rng_state: tuple[Any, ...]
    ref: Reference
    now: datetime
    suffix: str
    seq: int
    customers: int
    owner_ids: tuple[str, ...]
    block_seed: int

    @property
    def blocks(self) -> int:
        return -(-self.customers // BLOCK)


def generate(
    plan: Plan,
    target: RowTarget,
    progress: Callable[[int], None] | None = None,
    *,
    worker: int = 0,
    workers: int = 1,
) -> dict[str, int]:
    """Write the rows of this worker's blocks (every `workers`-th from `worker`) to the target."""
    rng = random.Random()
    rng.setstate(plan.rng_state)
    new_id = IdSource(rng)
    clock = Clock(plan.now, suffix=plan.suffix)
    writer = BulkWriter(target)
    try:
        people = CustomerFactory(rng, new_id, clock, plan.ref, plan.seq, writer)
        holdings = HoldingFactory(rng, new_id, clock, plan.ref, plan.seq, writer)
        history = HistoryFactory(rng, new_id, clock, plan.ref, plan.seq, writer, plan.owner_ids)
        names = [p.spec.name for p in plan.ref.products]
        done = 0
        for block in range(worker, plan.blocks, workers):
            rng.seed(f"{plan.block_seed}:{block}")
            new_id.start_block(block)
            history.case_counter = block * BLOCK * MAX_CASES_PER_CUSTOMER
            for index in range(block * BLOCK, min((block + 1) * BLOCK, plan.customers)):
                facts = people.make(index)
                owned = holdings.make(facts)
                holdings.responses(facts, owned)
                history.make(facts, [names[i] for i in owned])
                writer.ship_full()
                done += 1
                if progress is not None and done % PROGRESS_EVERY == 0:
                    progress(done)
    except BaseException:
        writer.abort()
        raise
    return writer.close()


class PipeTarget:
    """The worker's side: chunks (from the writer thread) and progress go through one pipe."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._lock = threading.Lock()

    def send(self, message: tuple[Any, ...]) -> None:
        with self._lock:
            self._conn.send(message)

    def write(self, table: str, columns: Sequence[str], rows: list[Row]) -> None:
        self.send(("rows", table, tuple(columns), rows))

    def finish(self) -> None:
        """Nothing to do: the parent commits."""

    def abort(self) -> None:
        """Nothing to do: the parent rolls back."""


def worker_main(plan: Plan, conn: Connection, worker: int = 0, workers: int = 1) -> None:
    """A worker process: generate its blocks, then report the counts (or the error) to the parent."""
    pipe = PipeTarget(conn)
    gc.disable()
    try:
        counts = generate(plan, pipe, lambda n: pipe.send(("progress", n)), worker=worker, workers=workers)
        pipe.send(("done", counts))
    except BaseException:
        conn.send(("error", traceback.format_exc()))
    finally:
        conn.close()
