"""A read-only table whose paint event is one Python call, not one per cell: the supervisor's queue
and agent tables.

`QTableView` paints a dirty region cell by cell, and with a Python delegate each cell is a trip
from C++ into Python that wraps the painter, a copy of the style option and the index (about 8 µs
a cell before the delegate does anything, bench/queue_panel.py), for the 70-odd cells a snapshot a
second changes. `CellTable.paintEvent` walks the dirty region itself, as `QTableView::paintEvent`
does (the same cell rectangles, selection, grid lines and their colour), asks the model once per
cell through `cell(row, column)` and paints with the delegate's own `draw_cell`, so the pixels are
those of `QTableView` with a `CellDelegate` (tests/gui/supervisor/test_cell_table.py compares them).
A column can have its own painter (the queue table's sparklines).

Everything else is `QTableView`'s: selection, keyboard, scrolling, headers, tool tips and
accessibility (which read the model, not the paint). What it does not do, because these tables do
not need it: spans, moved sections, editors, alternating row colours, drag and drop, and items
that are not enabled; a model without `cell()` is painted by `QTableView` as usual.
"""

from bisect import bisect_left, bisect_right
from typing import Final, Protocol, cast

from PySide6.QtCore import QAbstractItemModel, QLine, QRect
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QAbstractItemView, QStyle, QStyleOptionViewItem, QTableView, QWidget

from desktop.views.supervisor.cell_delegate import CellColours, CellModel, ShapedTexts, draw_cell

_ENABLED: Final = QStyle.StateFlag.State_Enabled
_ROWS: Final = QAbstractItemView.SelectionBehavior.SelectRows
#: a cell's extent in the viewport: (column, left, width); a row's: (row, top, height)
Column = tuple[int, int, int]
Row = tuple[int, int, int]
#: a rectangle as (left, top, right, bottom), inclusive
Box = tuple[int, int, int, int]


class ColumnPainter(Protocol):
    """Paints one column's cells (the sparklines): the model, the row, the cell's rectangle."""

    def paint_cell(
        self, painter: QPainter, model: object, row: int, rect: QRect, selected: bool, colours: CellColours
    ) -> None: ...


class CellTable(QTableView):
    """A `QTableView` over a `CellModel` that paints each paint event's cells in one Python call."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.texts = ShapedTexts()
        self._painters: dict[int, ColumnPainter] = {}
        self.horizontalHeader().setSectionsMovable(False)  # visual order is the model's order

    def set_column_painter(self, column: int, painter: ColumnPainter) -> None:
        """Paint `column`'s cells with `painter` instead of text."""
        self._painters[column] = painter

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        model = self.model()
        columns_header, rows_header = self.horizontalHeader(), self.verticalHeader()
        if not hasattr(model, "cell") or columns_header.count() == 0 or rows_header.count() == 0:
            super().paintEvent(event)
            return
        option = QStyleOptionViewItem()
        self.initViewItemOption(option)
        palette = QPalette(option.palette)
        enabled = _ENABLED in option.state
        palette.setCurrentColorGroup(QPalette.ColorGroup.Normal if enabled else QPalette.ColorGroup.Disabled)
        colours = CellColours(palette)
        self.texts.use_font(option.font)
        grid = self.showGrid()
        grid_size = 1 if grid else 0
        rtl = self.isRightToLeft()
        # what the rows and columns cover: the last pixel of each (QTableView's x and y)
        last_x = columns_header.length() - columns_header.offset() - (0 if rtl else 1)
        last_y = rows_header.length() - rows_header.offset() - 1
        limits = (self.viewport().width() - last_x if rtl else None, None if rtl else last_x, last_y)
        region = event.region()
        bounds = _clipped(region.boundingRect().getCoords(), limits)  # type: ignore[arg-type] # a 4-tuple
        if bounds is None:
            return
        rows = self._rows_in(bounds, grid_size)
        columns = self._columns_in(bounds, grid_size, rtl)
        if not rows or not columns:
            return
        rects: list[QRect] = list(region)  # type: ignore[call-overload] # iterable, not in the stub
        clipped = (_clipped(rect.getCoords(), limits) for rect in rects)  # type: ignore[arg-type] # a 4-tuple
        boxes = [box for box in clipped if box is not None]
        if len(boxes) == 1:
            wanted = [(row, columns) for row in rows]
        else:  # scattered cells: a rectangle each
            wanted = _cells_in(boxes, rows, columns, 1 if rtl and grid else 0)
        selected_rows = self._selected_rows()
        painter = QPainter(self.viewport())
        try:
            for (row, top, height), shown in wanted:
                selected = None if selected_rows is None else row in selected_rows
                self.paint_row(painter, model, row, top, height, shown, selected, colours)
            if grid:
                hint = self.style().styleHint(QStyle.StyleHint.SH_Table_GridLineColor, option, self)
                painter.setPen(QPen(QColor.fromRgba(hint & 0xFFFFFFFF), 1, self.gridStyle()))
                lines = _grid_lines(boxes, rows, columns, rtl)
                if lines:
                    painter.drawLines(lines)
                self._paint_leading_lines(painter, boxes, rtl)
        finally:
            painter.end()

    def _selected_rows(self) -> set[int] | None:
        """The selected rows of a view that selects whole rows, asked once per paint (None: ask per
        cell, as `QTableView` does)."""
        selection = self.selectionModel()
        if selection is None:
            return set()
        if self.selectionBehavior() != _ROWS:
            return None
        return {index.row() for index in selection.selectedRows()}

    def _rows_in(self, box: Box, grid_size: int) -> list[Row]:
        """(row, top, height without the grid line) of the rows `box` touches."""
        header = self.verticalHeader()
        top = header.visualIndexAt(box[1])
        bottom = header.visualIndexAt(box[3])
        if bottom == -1:
            bottom = header.count() - 1
        if top == -1 or top > bottom:
            return []
        size = header.defaultSectionSize()
        if not header.sectionsHidden() and header.length() == header.count() * size:
            # every row the default height (the supervisor's tables fix it): no question per row
            first = self.rowViewportPosition(top)
            height = size - grid_size
            return [(row, first + (row - top) * size, height) for row in range(top, bottom + 1)]
        return [
            (row, self.rowViewportPosition(row), self.rowHeight(row) - grid_size)
            for row in range(top, bottom + 1)
            if not header.isSectionHidden(row)
        ]

    def _columns_in(self, box: Box, grid_size: int, rtl: bool) -> list[Column]:
        """(column, left, width without the grid line) of the columns `box` touches; right to left,
        a cell starts a pixel right of its section (its grid line is on the left)."""
        header = self.horizontalHeader()
        left = header.visualIndexAt(box[0])
        right = header.visualIndexAt(box[2])
        if rtl:
            left, right = right, left
        if left == -1:
            left = 0
        if right == -1:
            right = header.count() - 1
        shift = 1 if grid_size and rtl else 0
        return [
            (column, self.columnViewportPosition(column) + shift, self.columnWidth(column) - grid_size)
            for column in range(left, right + 1)
            if not header.isSectionHidden(column)
        ]

    def paint_row(
        self,
        painter: QPainter,
        model: QAbstractItemModel,
        row: int,
        top: int,
        height: int,
        columns: list[Column],
        selected: bool | None,
        colours: CellColours,
    ) -> None:
        """Paint `columns` of `row` (one call per row a paint touches); `selected` None: ask the
        selection model for each cell."""
        texts, painters = self.texts, self._painters
        cell = cast(CellModel, model).cell  # paintEvent checked that it has `cell`
        selection = self.selectionModel() if selected is None else None
        for column, left, width in columns:
            chosen = bool(selected) or (
                selection is not None and selection.isSelected(model.index(row, column))
            )
            special = painters.get(column)
            if special is not None:
                special.paint_cell(painter, model, row, QRect(left, top, width, height), chosen, colours)
            else:
                draw_cell(painter, texts, (left, top, width, height), cell(row, column), chosen, colours)

    def _paint_leading_lines(self, painter: QPainter, boxes: list[Box], rtl: bool) -> None:
        """The top and leading grid lines some styles ask for when the headers are hidden, drawn as
        `QTableView` does: per dirty rectangle (`boxes`, clipped), when its edge is the first row's
        or column's."""
        option = QStyleOptionViewItem()
        if not self.style().styleHint(QStyle.StyleHint.SH_Table_AlwaysDrawLeftTopGridLines, option, self):
            return
        for box in boxes:
            rows = self._rows_in(box, 1)
            columns = self._columns_in(box, 1, rtl)
            if not rows or not columns:
                continue
            left, top, right, bottom = box
            if self.horizontalHeader().isHidden() and rows[0][1] == top:
                painter.drawLine(left, top, right, top)
            if self.verticalHeader().isHidden():
                first = columns[0][0]
                x = self.columnViewportPosition(first)
                if rtl:
                    x += self.columnWidth(first) - 1
                if x == (right if rtl else left):
                    painter.drawLine(x, top, x, bottom)


def _clipped(coords: Box, limits: tuple[int | None, int | None, int]) -> Box | None:
    """`coords` cut to what the rows and columns cover (the least left, the most right and bottom),
    as `QTableView` cuts its dirty rectangles; None if nothing is left."""
    left, top, right, bottom = coords
    least_left, most_right, most_bottom = limits
    bottom = min(bottom, most_bottom)
    if least_left is not None and left < least_left:
        left = least_left
    if most_right is not None and right > most_right:
        right = most_right
    if right < left or bottom < top:
        return None
    return left, top, right, bottom


def _cells_in(
    boxes: list[Box], rows: list[Row], columns: list[Column], shift: int
) -> list[tuple[Row, list[Column]]]:
    """The cells each of `boxes` touches, once each, row by row: found by bisection over the rows'
    tops and the sections' left edges (`shift`: how far right of its section a cell starts), not by
    asking the headers once per rectangle."""
    tops = [top for _row, top, _height in rows]
    by_left = sorted(range(len(columns)), key=lambda n: columns[n][1])  # right to left, reversed
    lefts = [columns[n][1] - shift for n in by_left]
    wanted: dict[int, set[int]] = {}
    for left, top, right, bottom in boxes:
        first_column = bisect_right(lefts, left) - 1
        chosen = by_left[first_column if first_column > 0 else 0 : bisect_right(lefts, right)]
        first_row = bisect_right(tops, top) - 1
        for n in range(first_row if first_row > 0 else 0, bisect_right(tops, bottom)):
            found = wanted.get(n)
            if found is None:
                wanted[n] = set(chosen)
            else:
                found.update(chosen)
    return [(rows[n], [columns[c] for c in sorted(wanted[n])]) for n in sorted(wanted)]


def _grid_lines(boxes: list[Box], rows: list[Row], columns: list[Column], rtl: bool) -> list[QLine]:
    """The grid lines `QTableView` draws over each of `boxes` (under each row, on the trailing
    edge of each column, from one side of the box to the other), less those outside the box, which
    the painter's clip would drop: a changed cell's box stops short of its grid lines, so the
    scattered cells of a snapshot draw none."""
    ys = [top + height for _row, top, height in rows]
    xs = sorted(left - 1 if rtl else left + width for _column, left, width in columns)
    lines: list[QLine] = []
    for left, top, right, bottom in boxes:
        lines.extend(QLine(left, y, right, y) for y in ys[bisect_left(ys, top) : bisect_right(ys, bottom)])
        lines.extend(QLine(x, top, x, bottom) for x in xs[bisect_left(xs, left) : bisect_right(xs, right)])
    return lines
