"""Everything a supervisor picture changes, worked out off the GUI thread.

The GUI thread has about 5 ms per snapshot (one a second, 200 queues, 2,000 agents): too little to
diff 2,000 agents, judge 800 thresholds and bucket 200 histories in Python. So the network worker
that decoded a picture also runs it through `WatchState.advance`, which keeps the state the models
will have (the shown order of rows, their cells, the alerts' hysteresis, the sparklines' rings)
and returns an `Update`: rows to remove and insert, the (row, columns) whose shown value changed,
the alert events, and immutable copies of what changed (histories, breach sets). The models only
apply it: list swaps and `dataChanged` for the changed cells.

Pictures are numbered in the order they are advanced (under a lock: workers may run at once); a
picture older than the last one is refused (None). The GUI applies an update whose `base` is the
sequence number it shows as is (`KeyedUpdate` positions are relative to that); if it missed one
(an update it never received), `WatchState.full` gives it the whole state to catch up from.
"""

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from desktop.services.queue_watch import COLUMN_OF, COLUMNS, TREND_COLUMN, QueueRow, changed_columns
from desktop.services.queue_watch_agents import AgentRow, to_board_columns
from desktop.services.queue_watch_alerts import METRIC_COLUMN, AlertEvent, AlertWatch, Metric
from desktop.services.queue_watch_history import HistoryBook, Sample
from desktop.services.queue_watch_picture import Picture

R = TypeVar("R")

_ALL_QUEUE_COLUMNS = tuple(range(len(COLUMNS)))
_METRIC_COLUMN = {metric: COLUMN_OF[column] for metric, column in METRIC_COLUMN.items()}


def _columns(breached: Mapping[str, frozenset[Metric]]) -> dict[str, frozenset[int]]:
    return {queue_id: frozenset(_METRIC_COLUMN[m] for m in metrics) for queue_id, metrics in breached.items()}


@dataclass(frozen=True, slots=True)
class KeyedUpdate(Generic[R]):
    """One table's change, in the positions of the rows as shown before it."""

    #: positions to remove, highest first (each relative to the list after the previous removal)
    removed: tuple[int, ...]
    #: rows appended after the removals
    added: tuple[R, ...]
    #: every row in the shown order after the update (same length as rows - removed + added)
    rows: tuple[R, ...]
    #: (position after the update, columns whose shown value changed), in row order
    changed: tuple[tuple[int, tuple[int, ...]], ...]


class KeyedRows(Generic[R]):
    """The shown order and cells of one table (not thread-safe: `WatchState` holds the lock)."""

    def __init__(self, key: Callable[[R], str], cells: Callable[[R], tuple[object, ...]]) -> None:
        self._key = key
        self._cells = cells
        self.order: list[str] = []
        self.rows: dict[str, R] = {}

    def advance(
        self, new_rows: Sequence[R], extra: Mapping[str, Sequence[int]] | None = None
    ) -> KeyedUpdate[R]:
        fresh = {self._key(r): r for r in new_rows}
        removed: list[int] = []
        kept: list[str] = []
        for position, key in enumerate(self.order):
            if key in fresh:
                kept.append(key)
            else:
                removed.append(position)
        added = [self._key(r) for r in new_rows if self._key(r) not in self.rows]
        changed: list[tuple[int, tuple[int, ...]]] = []
        for position, key in enumerate(kept):
            columns = changed_columns(self._cells(self.rows[key]), self._cells(fresh[key]))
            more = extra.get(key) if extra is not None else None
            if more:
                columns = tuple(sorted(set(columns) | set(more)))
            if columns:
                changed.append((position, columns))
        self.order = kept + added
        self.rows = fresh
        return KeyedUpdate(
            removed=tuple(reversed(removed)),
            added=tuple(fresh[k] for k in added),
            rows=tuple(fresh[k] for k in self.order),
            changed=tuple(changed),
        )

    def full(self) -> KeyedUpdate[R]:
        """The whole table as if nothing had been shown (to catch up after a missed update)."""
        rows = tuple(self.rows[k] for k in self.order)
        return KeyedUpdate(removed=(), added=rows, rows=rows, changed=())


@dataclass(frozen=True, slots=True)
class Update:
    """What one picture changes, for the GUI thread to apply."""

    seq: int
    #: the sequence number the positions are relative to (0: nothing shown yet)
    base: int
    at: float
    queues: KeyedUpdate[QueueRow]
    agents: KeyedUpdate[AgentRow]
    events: tuple[AlertEvent, ...]
    #: the metrics in breach of every queue that has any
    breached: Mapping[str, frozenset[Metric]]
    #: the same as the queue panel's column numbers (the cells painted red)
    breached_columns: Mapping[str, frozenset[int]]
    #: the sparkline samples of the queues whose line changed
    histories: Mapping[str, tuple[Sample, ...]]
    #: True: replace everything shown (the GUI missed an update, or nothing was shown)
    full: bool = False


@dataclass
class WatchState:
    """The supervisor's state as the models will show it; `advance` is safe from any thread."""

    alerts: AlertWatch = field(default_factory=AlertWatch)
    history: HistoryBook = field(default_factory=HistoryBook)
    seq: int = 0
    last_at: float = float("-inf")
    queues: KeyedRows[QueueRow] = field(
        default_factory=lambda: KeyedRows(lambda r: r.queue_id, lambda r: r.cells)
    )
    agents: KeyedRows[AgentRow] = field(
        default_factory=lambda: KeyedRows(lambda r: r.agent_id, to_board_columns)
    )
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def advance(self, picture: Picture) -> Update | None:
        """The update `picture` makes; None when it is older than the last picture advanced."""
        with self._lock:
            if picture.at < self.last_at:
                return None
            self.last_at = picture.at
            rows = picture.queues.rows
            before = {q: self.alerts.breached(q) for q in self.queues.order}
            events = tuple(self.alerts.update(r.status for r in rows))
            extra: dict[str, tuple[int, ...]] = {}
            histories: dict[str, tuple[Sample, ...]] = {}
            for row in rows:
                status = row.status
                if self.history.add(
                    row.queue_id, picture.at, status.contacts_waiting, status.rolling.service_level
                ):
                    extra[row.queue_id] = (TREND_COLUMN,)
                    history = self.history.get(row.queue_id)
                    histories[row.queue_id] = history.points() if history is not None else ()
            for event in events:
                if before.get(event.queue_id, frozenset()) != self.alerts.breached(event.queue_id):
                    extra[event.queue_id] = _ALL_QUEUE_COLUMNS  # the row's colour changed
            self.history.keep_only({row.queue_id for row in rows})
            queues = self.queues.advance(rows, extra)
            agents = self.agents.advance(picture.agents.rows)
            base, self.seq = self.seq, self.seq + 1
            return Update(
                seq=self.seq,
                base=base,
                at=picture.at,
                queues=queues,
                agents=agents,
                events=events,
                breached=(breached := self._breached()),
                breached_columns=_columns(breached),
                histories=histories,
            )

    def full(self) -> Update:
        """Everything as it stands, for a model that missed an update."""
        with self._lock:
            histories = {q: h.points() for q, h in self.history.queues.items()}
            return Update(
                seq=self.seq,
                base=self.seq,
                at=self.last_at,
                queues=self.queues.full(),
                agents=self.agents.full(),
                events=(),
                breached=(breached := self._breached()),
                breached_columns=_columns(breached),
                histories=histories,
                full=True,
            )

    def _breached(self) -> dict[str, frozenset[Metric]]:
        out: dict[str, frozenset[Metric]] = {}
        for queue_id in self.queues.order:
            breached = self.alerts.breached(queue_id)
            if breached:
                out[queue_id] = breached
        return out
