"""What every row factory of the seed draws from and writes to."""

import random
from collections.abc import Callable

from server.seed.bulk import BulkWriter
from server.seed.ids import Clock
from server.seed.reference import Reference


class Factory:
    """The generator, ids, clock, reference data, seed sequence number and row buffers."""

    def __init__(
        self,
        rng: random.Random,
        new_id: Callable[[], str],
        clock: Clock,
        ref: Reference,
        seq: int,
        writer: BulkWriter,
    ) -> None:
        self.rng = rng
        self.new_id = new_id
        self.clock = clock
        self.ref = ref
        self.seq = seq
        self.writer = writer
