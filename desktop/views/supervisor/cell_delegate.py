"""Painting the supervisor's tables cell by cell with one Python call per cell.

`QStyledItemDelegate` asks the model's `data()` for about eight roles per cell, each a round trip
from C++ into Python and back: about 5 µs a call, so most of the cost of repainting a table of 300
visible cells (bench/queue_panel.py). This delegate asks the model once, through its `cell(row,
column)` (text, background, text colour, alignment), and paints the selection, the background and
one line of text (elided at the right). `data()` still answers every role for tool tips,
accessibility and tests.
"""

from typing import Protocol, cast

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

#: the text's distance from the cell's sides (px)
PADDING = 4

Cell = tuple[str, QColor | None, QColor | None, int]


class CellModel(Protocol):
    def cell(self, row: int, column: int) -> Cell: ...


class CellDelegate(QStyledItemDelegate):
    """Paints the cells of a view whose model has `cell(row, column)` (`CellModel`)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        model = cast(CellModel, index.model())
        text, background, foreground, alignment = model.cell(index.row(), index.column())
        rect = option.rect
        palette: QPalette = option.palette
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        if selected:
            painter.fillRect(rect, palette.highlight())
            foreground = palette.color(QPalette.ColorRole.HighlightedText)
        elif background is not None:
            painter.fillRect(rect, background)
        if not text:
            return
        painter.setPen(foreground if foreground is not None else palette.color(QPalette.ColorRole.Text))
        area = rect.adjusted(PADDING, 0, -PADDING, 0)
        metrics = option.fontMetrics
        if metrics.horizontalAdvance(text) > area.width():
            text = metrics.elidedText(text, Qt.TextElideMode.ElideRight, area.width())
        painter.drawText(area, alignment, text)
