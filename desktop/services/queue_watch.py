"""The supervisor's queue picture as plain values, and what changed between two pictures.

A `queue_snapshot` (or GET /api/v1/queues) is turned, off the GUI thread, into a `QueueTable`: one
`QueueRow` per queue whose `cells` hold each column's value *at the precision it is shown* (service
level in whole percent, waits in whole seconds, …). Comparing two tables then says exactly which
cells a supervisor would see change: per queue, the columns whose
shown value changed (`changed_columns`; `queue_watch_state` keeps the rows and works out the
update on the worker). The Qt model turns that into `dataChanged` for those cells only (never a
reset), so a snapshot a second with 200 queues repaints only what moved.

Qt-free on purpose (import-linter: services never import PySide6): the same code runs in tests,
in the bench and on the network worker.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from wire.telephony import QueueStatus

#: what a cell holds: a count, a rounded figure, None (nothing to show yet) or a word ("unstable")
Cell = int | float | str | None

ColumnKey = Literal[
    "name",
    "waiting",
    "oldest_wait",
    "trend",
    "sl_rolling",
    "sl_today",
    "asa",
    "aht",
    "abandon_rate",
    "staffed",
    "available",
    "on_contact",
    "acw",
    "not_ready",
    "advice",
]

#: the staffing column's value when Erlang C has no steady state (traffic ≥ agents)
UNSTABLE: Final = "unstable"


def _percent(value: float | None) -> int | None:
    return None if value is None else round(value * 100)


def _permille(value: float | None) -> float | None:
    """A rate as a percentage with one decimal (abandon rates are small: 2.4 %)."""
    return None if value is None else round(value * 100, 1)


def _seconds(value: float | None) -> int | None:
    return None if value is None else round(value)


def _advice(queue: QueueStatus) -> Cell:
    if queue.staffing.unstable:
        return UNSTABLE
    return queue.staffing.agents_needed


@dataclass(frozen=True, slots=True)
class Column:
    """One column of the queue panel: its key (also the metric-definition key) and how a queue's
    status gives the value shown. The "trend" column (the sparkline) has no value of its own."""

    key: ColumnKey
    value: Callable[[QueueStatus], Cell]


#: the queue panel's columns, in order (the model's column numbers are indices into this)
COLUMNS: Final[tuple[Column, ...]] = (
    Column("name", lambda q: q.name),
    Column("waiting", lambda q: q.contacts_waiting),
    Column("oldest_wait", lambda q: _seconds(q.oldest_wait_s)),
    Column("trend", lambda q: None),
    Column("sl_rolling", lambda q: _percent(q.rolling.service_level)),
    Column("sl_today", lambda q: _percent(q.today.service_level)),
    Column("asa", lambda q: _seconds(q.rolling.asa_s)),
    Column("aht", lambda q: _seconds(q.rolling.aht_s)),
    Column("abandon_rate", lambda q: _permille(q.rolling.abandon_rate)),
    Column("staffed", lambda q: q.agents_staffed),
    Column("available", lambda q: q.agents_available),
    Column("on_contact", lambda q: q.agents_on_contact),
    Column("acw", lambda q: q.agents_acw),
    Column("not_ready", lambda q: q.agents_not_ready),
    Column("advice", _advice),
)
COLUMN_KEYS: Final[tuple[ColumnKey, ...]] = tuple(c.key for c in COLUMNS)
COLUMN_OF: Final[dict[ColumnKey, int]] = {key: n for n, key in enumerate(COLUMN_KEYS)}
TREND_COLUMN: Final = COLUMN_OF["trend"]


@dataclass(frozen=True, slots=True)
class QueueRow:
    """One queue as shown: its id, its cells (one per column) and the full status behind them."""

    queue_id: str
    cells: tuple[Cell, ...]
    status: QueueStatus


@dataclass(frozen=True, slots=True)
class QueueTable:
    """Every queue of one picture, in the server's order."""

    at: str
    rows: tuple[QueueRow, ...]

    def ids(self) -> list[str]:
        return [row.queue_id for row in self.rows]


def queue_row(status: QueueStatus) -> QueueRow:
    return QueueRow(status.queue_id, tuple(column.value(status) for column in COLUMNS), status)


def queue_table(at: str, queues: Sequence[QueueStatus]) -> QueueTable:
    """The picture the model shows (built on the worker that decoded the snapshot)."""
    return QueueTable(at, tuple(queue_row(q) for q in queues))


def changed_columns(old: tuple[object, ...], new: tuple[object, ...]) -> tuple[int, ...]:
    """The positions where two equally long rows differ (equal rows cost one tuple compare)."""
    if old == new:
        return ()
    return tuple(n for n, (a, b) in enumerate(zip(old, new, strict=True)) if a != b)
