"""The last 30 minutes of each queue's waiting contacts and service level, for the sparklines.

Snapshots arrive about once a second; a sparkline a hundred pixels wide cannot show 1,800 points,
so samples are kept in buckets (10 s by default: 180 per queue): a bucket keeps the *most* contacts
waiting seen in it (a short spike stays visible) and the *last* service level. Buckets older than
the window fall off the front of a fixed-size ring (`deque(maxlen=...)`), so memory is bounded
whatever the snapshot rate. Times are seconds on any monotonic-ish clock the caller chooses (the
panel uses the snapshot's own `at`, so a replayed picture draws the same line).
"""

import zlib
from collections import deque
from dataclasses import dataclass, field
from typing import Final

WINDOW_S: Final = 30 * 60.0
BUCKET_S: Final = 10.0


@dataclass(frozen=True, slots=True)
class Sample:
    """One bucket: its start time, the most contacts waiting in it, the last service level (0-1)."""

    at: float
    waiting: int
    service_level: float | None


@dataclass
class QueueHistory:
    """One queue's ring of buckets."""

    bucket_s: float = BUCKET_S
    window_s: float = WINDOW_S
    samples: deque[Sample] = field(default_factory=deque)
    #: where this queue's buckets start (seconds into a bucket); see `HistoryBook`
    offset: float = 0.0

    def __post_init__(self) -> None:
        self.samples = deque(self.samples, maxlen=max(1, int(self.window_s // self.bucket_s)))

    def add(self, at: float, waiting: int, service_level: float | None) -> bool:
        """Record one observation; True when what the sparkline draws changed (the service level
        is kept to the percent: a finer change would not move the line by a pixel)."""
        start = at - (at - self.offset) % self.bucket_s
        if service_level is not None:
            service_level = round(service_level, 2)
        samples = self.samples
        if samples and samples[-1].at == start:
            last = samples[-1]
            merged = Sample(start, max(last.waiting, waiting), service_level)
            if merged == last:
                return False
            samples[-1] = merged
        elif samples and start < samples[-1].at:
            return False  # an older picture than one already seen: the line does not go back
        else:
            samples.append(Sample(start, waiting, service_level))
        while samples and samples[0].at <= start - self.window_s:
            samples.popleft()
        return True

    def points(self) -> tuple[Sample, ...]:
        return tuple(self.samples)


@dataclass
class HistoryBook:
    """Every queue's history; queues gone from the picture are dropped.

    Each queue's buckets start at its own offset (from its id, so always the same): were they all
    to start together, every visible sparkline would be redrawn by the same snapshot every 10 s,
    a spike in the GUI thread's time; staggered, about a tenth of them are redrawn each second."""

    bucket_s: float = BUCKET_S
    window_s: float = WINDOW_S
    queues: dict[str, QueueHistory] = field(default_factory=dict)

    def add(self, queue_id: str, at: float, waiting: int, service_level: float | None) -> bool:
        history = self.queues.get(queue_id)
        if history is None:
            offset = zlib.crc32(queue_id.encode()) % 1000 / 1000 * self.bucket_s
            history = self.queues[queue_id] = QueueHistory(self.bucket_s, self.window_s, offset=offset)
        return history.add(at, waiting, service_level)

    def get(self, queue_id: str) -> QueueHistory | None:
        return self.queues.get(queue_id)

    def keep_only(self, queue_ids: set[str]) -> None:
        for gone in [q for q in self.queues if q not in queue_ids]:
            del self.queues[gone]
