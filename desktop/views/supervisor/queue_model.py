"""The queue panel's table: one row per queue, one column per metric (METRICS.md).

`apply(update)` takes what a picture changes, worked out on the worker
(`desktop.services.queue_watch_state`: the diff, the alerts with their hysteresis, the 30-minute
sparkline rings), and updates the rows in place: `dataChanged` for the cells whose shown value
changed, and for whole rows only when their breach colour changes — never a model reset for a
snapshot, so a snapshot a second keeps the selection and the scroll position and repaints only
what moved. `data()` answers the roles a paint asks for first, and cheaply.

Each column's tool tip is the metric's definition (`desktop.services.queue_watch_text`); a breached
metric's cell is painted in the theme's danger colour and the rest of its row in a tint of it, so the
colours follow the light and dark themes.
"""

import time
from collections.abc import Callable, Mapping
from typing import Any, Final

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from desktop.services.queue_watch import COLUMN_KEYS, COLUMN_OF, COLUMNS, TREND_COLUMN, UNSTABLE, QueueRow
from desktop.services.queue_watch_alerts import Metric
from desktop.services.queue_watch_history import Sample
from desktop.services.queue_watch_state import Update
from desktop.services.queue_watch_text import DEFINITIONS
from desktop.views.customer.sla import text_on
from desktop.views.i18n import tr
from desktop.views.supervisor.formats import NOTHING, duration, fraction, percent
from desktop.views.supervisor.keyed_rows import Visible, apply_update, replace_all
from desktop.views.theme import current_theme

#: the queue id of a row
QUEUE_ID_ROLE: Final = Qt.ItemDataRole.UserRole + 1
#: the trend column's samples (a tuple of `queue_watch_history.Sample`)
HISTORY_ROLE: Final = Qt.ItemDataRole.UserRole + 2
#: the queue's service-level target (0-1), for the sparkline's target line
TARGET_ROLE: Final = Qt.ItemDataRole.UserRole + 3
#: the metrics of the row's queue in breach (a frozenset of `queue_watch_alerts.Metric`)
BREACH_ROLE: Final = Qt.ItemDataRole.UserRole + 4

AnyIndex = QModelIndex | QPersistentModelIndex
_DISPLAY: Final = Qt.ItemDataRole.DisplayRole
_BACKGROUND: Final = Qt.ItemDataRole.BackgroundRole
_FOREGROUND: Final = Qt.ItemDataRole.ForegroundRole
_ALIGNMENT: Final = Qt.ItemDataRole.TextAlignmentRole
_ACCESSIBLE: Final = Qt.ItemDataRole.AccessibleTextRole
_TOOLTIP: Final = Qt.ItemDataRole.ToolTipRole
_ROLES: Final = frozenset(
    {_DISPLAY, _BACKGROUND, _FOREGROUND, _ALIGNMENT, _ACCESSIBLE, _TOOLTIP}
    | {QUEUE_ID_ROLE, HISTORY_ROLE, TARGET_ROLE, BREACH_ROLE}
)
_OLDEST: Final = COLUMN_OF["oldest_wait"]
_WAIT_ROLES: Final = [_DISPLAY, _ACCESSIBLE]
_LEFT: Final = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
_RIGHT: Final = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_TEXT_COLUMNS: Final = {COLUMN_OF["name"]}


def _titles() -> tuple[str, ...]:
    return (
        tr("Queue"),
        tr("Waiting"),
        tr("Oldest wait"),
        tr("Last 30 min"),
        tr("SL (30 min)"),
        tr("SL (today)"),
        tr("ASA"),
        tr("AHT"),
        tr("Abandoned"),
        tr("Staffed"),
        tr("Available"),
        tr("On contact"),
        tr("ACW"),
        tr("Not ready"),
        tr("Agents needed"),
    )


class _Colours:
    """The theme's breach colours, made once per theme (data() is asked for them on every paint):
    `current()` reads the theme; an empty `name` says it must be read again."""

    def __init__(self) -> None:
        self.name = ""
        self.cell = QColor()
        self.cell_text = QColor()
        self.row = QColor()

    def current(self) -> "_Colours":
        chosen = current_theme()
        if chosen.name != self.name:
            self.name = chosen.name
            self.cell = QColor(chosen.danger)
            self.cell_text = text_on(self.cell)
            base, danger = QColor(chosen.background), QColor(chosen.danger)
            mix = 0.22
            self.row = QColor.fromRgbF(
                base.redF() + (danger.redF() - base.redF()) * mix,
                base.greenF() + (danger.greenF() - base.greenF()) * mix,
                base.blueF() + (danger.blueF() - base.blueF()) * mix,
            )
        return self


class QueueModel(QAbstractTableModel):
    """The queues of the latest picture, updated in place."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._clock = clock
        #: when the shown picture arrived (on `clock`): its oldest waits are as of then
        self._received = clock()
        self.rows: list[QueueRow] = []
        self._index: dict[str, int] = {}
        self._breached: Mapping[str, frozenset[Metric]] = {}
        self._breached_columns: Mapping[str, frozenset[int]] = {}
        self._histories: dict[str, tuple[Sample, ...]] = {}
        self._titles = _titles()
        self._colours = _Colours()
        #: cell ranges announced by the last `apply` (tests, bench)
        self.last_announced = 0
        #: the rows the panel's view shows (set by the panel): changes elsewhere are announced in a
        #: few coarse ranges (`keyed_rows.apply_update`); None: every changed cell on its own
        self.visible_rows: Visible | None = None

    # -- updates ---------------------------------------------------------------------------------

    def apply(self, update: Update) -> None:
        """Show what `update` changes (on the GUI thread; the worker did the work)."""
        self._received = self._clock()
        # the colours and lines first: the views repaint from them when told below
        self._breached = update.breached
        self._breached_columns = update.breached_columns
        self._histories.update(update.histories)
        rows = update.queues
        if update.full:
            self._histories = dict(update.histories)
            replace_all(self, self.rows, rows)
        else:
            self.last_announced = apply_update(self, self.rows, rows, self.visible_rows)
        if update.full or rows.removed or rows.added:
            self._index = {row.queue_id: n for n, row in enumerate(self.rows)}
            for gone in [q for q in self._histories if q not in self._index]:
                del self._histories[gone]

    def theme_changed(self) -> None:
        """The theme was switched: take its colours (the panel calls this on a palette change)."""
        self._colours.name = ""
        if self.rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.rows) - 1, len(COLUMNS) - 1))

    def refresh_waits(self, first: int, last: int) -> None:
        """Time moved on: repaint the oldest wait of rows `first`..`last` (the visible ones) where
        someone waits (the server sends no snapshot while nothing happens), one cell at a time
        (`AgentBoardModel.refresh_times` says why)."""
        first, last = max(0, first), min(last, len(self.rows) - 1)
        emit, make, rows = self.dataChanged.emit, self.createIndex, self.rows
        for row in range(first, last + 1):
            if rows[row].status.oldest_wait_s is not None:
                cell = make(row, _OLDEST)
                emit(cell, cell, _WAIT_ROLES)

    def breached(self, queue_id: str) -> frozenset[Metric]:
        return self._breached.get(queue_id, frozenset())

    def row_of(self, queue_id: str) -> int:
        return self._index.get(queue_id, -1)

    def queue_names(self) -> dict[str, str]:
        return {row.queue_id: row.status.name for row in self.rows}

    # -- Qt's model interface --------------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802 - Qt's signature
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802 - Qt's signature
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(  # noqa: N802 - Qt's name
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._titles[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._definition(section, None)
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # the roles a paint asks for come first; everything else costs one set lookup
        if role not in _ROLES:
            return None
        row_number = index.row()
        if not 0 <= row_number < len(self.rows) or not index.isValid():
            return None
        row = self.rows[row_number]
        column = index.column()
        if role == _DISPLAY:
            return None if column == TREND_COLUMN else self._text(column, row)
        if role in (_BACKGROUND, _FOREGROUND):
            return self._colour(role, column, row)
        if role == _ALIGNMENT:
            return _LEFT if column in _TEXT_COLUMNS else _RIGHT
        if role == _ACCESSIBLE:
            return self._trend_text(row) if column == TREND_COLUMN else self._text(column, row)
        if role == _TOOLTIP:
            return self._definition(column, row)
        if role == QUEUE_ID_ROLE:
            return row.queue_id
        if role == HISTORY_ROLE:
            return self._histories.get(row.queue_id, ())
        if role == TARGET_ROLE:
            return row.status.sl_target
        if role == BREACH_ROLE:
            return self.breached(row.queue_id)
        return None

    # -- cells -----------------------------------------------------------------------------------

    def cell(self, row: int, column: int) -> tuple[str, QColor | None, QColor | None, int]:
        """(text, background, text colour, alignment) of a cell in one call, for `CellDelegate`."""
        queue = self.rows[row]
        text = "" if column == TREND_COLUMN else self._text(column, queue)
        if queue.queue_id in self._breached_columns:
            background = self._colour(_BACKGROUND, column, queue)
            foreground = self._colour(_FOREGROUND, column, queue)
        else:
            background = foreground = None
        return text, background, foreground, _LEFT if column in _TEXT_COLUMNS else _RIGHT

    def trend(self, row: int) -> tuple[str, tuple[Sample, ...], float, QColor | None]:
        """(queue id, sparkline samples, service-level target, background) of a row's trend cell in
        one call, for `SparklineDelegate`."""
        queue = self.rows[row]
        return (
            queue.queue_id,
            self._histories.get(queue.queue_id, ()),
            queue.status.sl_target,
            self._colour(_BACKGROUND, TREND_COLUMN, queue),
        )

    def _text(self, column: int, row: QueueRow) -> str:
        value = row.cells[column]
        key = COLUMN_KEYS[column]
        if value is None:
            return NOTHING
        if column == _OLDEST:
            # the server's figure as of the picture, plus the time since it arrived
            waited = row.status.oldest_wait_s
            return duration(None if waited is None else waited + self._clock() - self._received)
        if key in ("asa", "aht"):
            return duration(float(value))
        if key in ("sl_rolling", "sl_today", "abandon_rate"):
            return percent(float(value))
        if key == "advice":
            return tr("Unstable") if value == UNSTABLE else str(value)
        return str(value)

    def _trend_text(self, row: QueueRow) -> str:
        points = self._histories.get(row.queue_id, ())
        if not points:
            return tr("No history yet")
        first, last = points[0], points[-1]
        return tr("Waiting {a} → {b}; service level {c} → {d}").format(
            a=first.waiting, b=last.waiting, c=fraction(first.service_level), d=fraction(last.service_level)
        )

    def _definition(self, column: int, row: QueueRow | None) -> str:
        key = COLUMN_KEYS[column]
        threshold = row.status.sl_threshold_s if row is not None else 20
        target = fraction(row.status.sl_target) if row is not None else tr("the queue's target")
        text = tr(DEFINITIONS[key]).format(threshold=threshold, target=target)
        if row is None:
            return text
        status = row.status
        if key == "aht":
            text += "\n" + tr("Talk {talk}, after-contact work {acw}.").format(
                talk=duration(status.rolling.talk_s), acw=duration(status.rolling.acw_s)
            )
        elif key == "advice":
            staffing = status.staffing
            text += "\n" + tr(
                "Traffic {erlangs} erlangs; {staffed} agents staffed: probability of waiting {pw}, "
                "predicted service level {psl}."
            ).format(
                erlangs=NOTHING if staffing.traffic_erlangs is None else f"{staffing.traffic_erlangs:.2f}",
                staffed=staffing.agents_staffed,
                pw=fraction(staffing.probability_wait),
                psl=fraction(staffing.predicted_service_level),
            )
        if column in self._breached_columns.get(status.queue_id, ()):
            text += "\n" + tr("Threshold breached.")
        return text

    def _colour(self, role: int, column: int, row: QueueRow) -> QColor | None:
        columns = self._breached_columns.get(row.queue_id)
        if columns is None:
            return None
        colours = self._colours
        if not colours.name:
            colours.current()
        cell = column in columns
        if role == _BACKGROUND:
            return colours.cell if cell else colours.row
        return colours.cell_text if cell else None
