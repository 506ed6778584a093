"""The supervisor's alerts log: the last `KEEP` alert lines, newest at the bottom.

Why not a text edit or a growing list: a `QPlainTextEdit` re-lays out and repaints its whole
viewport on every appended line (scrolling to the end, trimming to its block limit), and any item
view whose row count changes lays itself out again and moves its scroll bar — with the app's style
sheet, repainting that scroll bar and what lies under it cost about 3 ms a snapshot
(bench/queue_panel.py), more than everything else in the panel. So the model is a ring of exactly
`KEEP` rows, blank rows first while the log fills: a snapshot's alerts shift the lines up in place
and are announced with one `dataChanged`, the row count and the scroll bar never change, and the
one-column `QTableView` (fixed row height, no grid or headers) repaints only its visible lines with
the supervisor's one-call-per-cell `CellDelegate`.

The lines stay readable and copyable: lines are selectable (several with Shift/Ctrl; a selection
moves with its lines, and a reader who scrolled up to older lines stays on them), Ctrl+C or the
context menu's "Copy" puts the selected lines on the clipboard, a line too long for the column is
elided and shown whole in its tool tip, and an empty log says so.
"""

from collections.abc import Sequence
from typing import Any, Final

from PySide6.QtCore import (
    QAbstractListModel,
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QAccessible,
    QAccessibleTableModelChangeEvent,
    QAction,
    QGuiApplication,
    QKeySequence,
    QPainter,
    QPaintEvent,
    QPalette,
    QResizeEvent,
)
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from desktop.views.i18n import tr
from desktop.views.supervisor.cell_delegate import PADDING, CellDelegate

#: the log's lines (the oldest fall off)
KEEP: Final = 200

AnyIndex = QModelIndex | QPersistentModelIndex
_LEFT: Final = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
_LINE_FLAGS: Final = (
    Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
)
_TEXT_ROLES: Final = frozenset(
    {Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole, Qt.ItemDataRole.ToolTipRole}
)


class AlertLogModel(QAbstractListModel):
    """`keep` rows: blank ones, then the lines oldest first (the order shown)."""

    #: the lines moved up this many rows (the view keeps its selection and reading place)
    shifted = Signal(int)

    def __init__(self, keep: int = KEEP, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.keep = keep
        #: every row, blank ("") until a line reaches it
        self._rows: list[str] = [""] * keep
        self.count = 0

    def add(self, lines: Sequence[str]) -> None:
        """Append `lines` (oldest first, as they happened) at the bottom, shifting the rest up."""
        fresh = list(lines)[-self.keep :]
        if not fresh:
            return
        was_empty = self.count == 0
        del self._rows[: len(fresh)]
        self._rows.extend(fresh)
        self.count = min(self.keep, self.count + len(fresh))
        if not was_empty:
            self.shifted.emit(len(fresh))  # before the change: a view may move its pixels with the lines
        # every row shows another line now: one range over the column (Qt clips it to the viewport)
        self.dataChanged.emit(self.createIndex(0, 0), self.createIndex(self.keep - 1, 0))

    def lines(self) -> list[str]:
        """Every line kept, newest first."""
        return self._rows[self.keep - self.count :][::-1] if self.count else []

    def cell(self, row: int, column: int) -> tuple[str, None, None, int]:
        """(text, background, text colour, alignment) of a row, for `CellDelegate`."""
        return self._rows[row], None, None, _LEFT

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802 - Qt's signature
        return 0 if parent.isValid() else self.keep

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role not in _TEXT_ROLES or not index.isValid() or not 0 <= index.row() < self.keep:
            return None
        return self._rows[index.row()]

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid() or index.row() < self.keep - self.count:
            return Qt.ItemFlag.NoItemFlags  # a blank row: nothing to select
        return _LINE_FLAGS


class AlertLogView(QTableView):
    """Read-only, selectable lines with Ctrl+C, scrolled to the newest; a placeholder while the
    log is empty."""

    def __init__(self, model: AlertLogModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModel(model)
        self._log = model
        self.setShowGrid(False)
        self.setWordWrap(False)
        columns = self.horizontalHeader()
        columns.hide()
        columns.setStretchLastSection(True)
        columns.setAccessibleName(tr("Queue alerts: column"))
        rows = self.verticalHeader()
        rows.hide()
        rows.setAccessibleName(tr("Queue alerts: lines"))
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(self.fontMetrics().height() + 4)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setItemDelegate(CellDelegate(self))
        self.placeholder = tr("Queue alerts show here.")
        copy = QAction(tr("Copy"), self)
        copy.setShortcut(QKeySequence.StandardKey.Copy)
        copy.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        copy.triggered.connect(lambda _checked=False: self.copy_selected())
        self.addAction(copy)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.copy_action = copy
        #: `_shifted` moved the pixels of the lines: the coming `dataChanged` repaints nothing
        self._moved = False
        model.shifted.connect(self._shifted)
        self.scrollToBottom()

    def _shifted(self, rows: int) -> None:
        """The lines are about to move up `rows` rows: a reader above the end stays on the lines
        being read, and a selection stays on its lines (those that fell off the top leave it).

        At the end (where the log stays unless its reader scrolls up), the pixels move with the
        lines: the viewport's pixels are scrolled up (a blit), only the rows that come in at the
        bottom are painted, and the model's `dataChanged` for the shifted rows repaints nothing
        (`dataChanged` below), where it used to repaint every visible line on each snapshot with
        alerts. Above the end the scroll bar moves by as many rows and the lines are repainted."""
        bar = self.verticalScrollBar()
        height = self.verticalHeader().defaultSectionSize() * rows
        if bar.value() < bar.maximum():
            bar.setValue(max(0, bar.value() - rows))  # scrolls the pixels the wrong way: repainted
        elif height < self.viewport().height():
            self.viewport().scroll(0, -height)
            self._moved = True
        chosen = self.selectionModel()
        if not chosen.hasSelection():
            return
        model = self._log
        moved = QItemSelection()
        for row in sorted({index.row() for index in chosen.selectedIndexes()}):
            if row - rows >= 0:
                moved.select(model.index(row - rows, 0), model.index(row - rows, 0))
        chosen.select(moved, QItemSelectionModel.SelectionFlag.ClearAndSelect)

    def dataChanged(  # noqa: N802 - Qt's name
        self, top_left: AnyIndex, bottom_right: AnyIndex, roles: Sequence[int] = ()
    ) -> None:
        if not self._moved:
            super().dataChanged(top_left, bottom_right, list(roles))
            return
        # the lines' pixels were moved with them (`_shifted`): nothing to repaint, but assistive
        # technology is told, as the base class would
        self._moved = False
        if QAccessible.isActive():
            event = QAccessibleTableModelChangeEvent(
                self, QAccessibleTableModelChangeEvent.ModelChangeType.DataChanged
            )
            event.setFirstRow(top_left.row())
            event.setLastRow(bottom_right.row())
            event.setFirstColumn(0)
            event.setLastColumn(0)
            QAccessible.updateAccessibility(event)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        at_end = self.verticalScrollBar().value() >= self.verticalScrollBar().maximum()
        super().resizeEvent(event)
        if at_end:
            self.scrollToBottom()

    def selected_lines(self) -> list[str]:
        """The selected lines in the order shown (oldest first)."""
        rows = sorted(index.row() for index in self.selectionModel().selectedRows())
        return [self._log.cell(row, 0)[0] for row in rows if self._log.cell(row, 0)[0]]

    def copy_selected(self) -> None:
        lines = self.selected_lines()
        if lines:
            QGuiApplication.clipboard().setText("\n".join(lines))

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        super().paintEvent(event)
        if self._log.count:
            return
        painter = QPainter(self.viewport())
        try:
            painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
            area = self.viewport().rect().adjusted(PADDING, PADDING, -PADDING, -PADDING)
            flags = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
            painter.drawText(area, flags, self.placeholder)
        finally:
            painter.end()
