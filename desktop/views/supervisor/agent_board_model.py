"""The agent board: one row per agent — name, state, reason, time in state, current contact, queue.

Updates worked out on the worker (`queue_watch_state`) are applied in place like the queue
panel's (`keyed_rows.apply_update`). The time in state is the server's figure as of the picture
plus the time since the picture arrived (a monotonic clock: the desktop's and the server's clocks
need not agree), worked out when a cell is painted; the server sends no snapshot while nothing
happens, and the time changes every second for every agent, so instead of diffing it,
`refresh_times(first, last)` announces the time column of the rows the view shows (the panel calls
it once a second with the visible range), whatever the size of the board. A new state (a new
start) is a change of that cell like any other.
"""

import time
from collections.abc import Callable
from typing import Any, Final

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from desktop.services.queue_watch_agents import AGENT_COLUMNS, TIME_COLUMN, AgentRow
from desktop.services.queue_watch_state import KeyedUpdate
from desktop.views.agent_state_text import reason_label, state_label
from desktop.views.i18n import tr
from desktop.views.supervisor.formats import duration
from desktop.views.supervisor.keyed_rows import Visible, apply_update, replace_all

#: the agent id of a row
AGENT_ID_ROLE: Final = Qt.ItemDataRole.UserRole + 1
QUEUE_COLUMN: Final = AGENT_COLUMNS.index("queue")

AnyIndex = QModelIndex | QPersistentModelIndex
_LEFT: Final = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
_TIME_ROLES: Final = [Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole]
_ROLES: Final = frozenset(
    {
        Qt.ItemDataRole.DisplayRole,
        Qt.ItemDataRole.AccessibleTextRole,
        Qt.ItemDataRole.ToolTipRole,
        AGENT_ID_ROLE,
    }
)


class AgentBoardModel(QAbstractTableModel):
    """The agents of the latest picture; `clock` gives monotonic seconds (injected by tests)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: list[AgentRow] = []
        self._index: dict[str, int] = {}
        self._clock = clock
        #: when the shown picture arrived (on `clock`): its times in state are as of then
        self._received = clock()
        self._queue_names: dict[str, str] = {}
        self._titles = (
            tr("Agent"),
            tr("State"),
            tr("Reason"),
            tr("Time in state"),
            tr("Contact"),
            tr("Queue"),
        )
        self.last_announced = 0
        #: the rows the panel's view shows (set by the panel): changes elsewhere are announced in a
        #: few coarse ranges (`keyed_rows.apply_update`); None: every changed cell on its own
        self.visible_rows: Visible | None = None

    def apply(self, update: KeyedUpdate[AgentRow], *, full: bool = False) -> None:
        """Show what `update` changes; `full`: replace everything (catching up after a missed one)."""
        self._received = self._clock()
        if full:
            replace_all(self, self.rows, update)
        else:
            self.last_announced = apply_update(self, self.rows, update, self.visible_rows)
        if full or update.removed or update.added:
            self._index = {row.agent_id: n for n, row in enumerate(self.rows)}

    def set_queue_names(self, names: dict[str, str]) -> None:
        """The queues' names for the queue column (repainted only when a name changed)."""
        if names != self._queue_names:
            self._queue_names = dict(names)
            if self.rows:
                last = len(self.rows) - 1
                self.dataChanged.emit(self.index(0, QUEUE_COLUMN), self.index(last, QUEUE_COLUMN))

    def refresh_times(self, first: int, last: int) -> None:
        """Time moved on: repaint the time in state of rows `first`..`last` (the visible ones), one
        cell at a time: Qt repaints a range's rectangle a pixel larger, so a range down the
        column repaints the next column's cells too (measured: 48 cells painted instead of 31)."""
        first, last = max(0, first), min(last, len(self.rows) - 1)
        emit, make = self.dataChanged.emit, self.createIndex
        for row in range(first, last + 1):
            cell = make(row, TIME_COLUMN)
            emit(cell, cell, _TIME_ROLES)

    def row_of(self, agent_id: str) -> int:
        return self._index.get(agent_id, -1)

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802 - Qt's signature
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802 - Qt's signature
        return 0 if parent.isValid() else len(AGENT_COLUMNS)

    def headerData(  # noqa: N802 - Qt's name
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role != Qt.ItemDataRole.DisplayRole or orientation != Qt.Orientation.Horizontal:
            return None
        return self._titles[section] if 0 <= section < len(self._titles) else None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role not in _ROLES:
            return None
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        row = self.rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self._text(index.column(), row)
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == TIME_COLUMN:
            return tr("Since {since}").format(since=row.board.state_since)
        if role == AGENT_ID_ROLE:
            return row.agent_id
        return None

    def cell(self, row: int, column: int) -> tuple[str, None, None, int]:
        """(text, background, text colour, alignment) of a cell in one call, for `CellDelegate`."""
        return self._text(column, self.rows[row]), None, None, _LEFT

    def _text(self, column: int, row: AgentRow) -> str:
        name, state, reason, _since, contact, queue = row.columns
        if column == 0:
            return name
        if column == 1:
            return state_label(state)
        if column == 2:
            return reason_label(reason)
        if column == TIME_COLUMN:
            # the server's time in state as of the picture, plus the time since it arrived: the
            # server's clock and this one need not agree
            return duration(row.board.time_in_state_s + self._clock() - self._received)
        if column == 4:
            return contact or ""
        return self._queue_names.get(queue, queue) if queue else ""
