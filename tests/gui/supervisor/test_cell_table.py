"""`CellTable` paints the pixels `QTableView` paints with the supervisor's delegates (`CellDelegate`
for text cells, `SparklineDelegate` for the trend column): whole views, after a cell changed (only
the dirty region is painted), scrolled, selected, right to left, with and without the grid,
disabled; and it passes qtmodeltester's checks through the same model."""

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication, QProxyStyle, QStyle, QStyleFactory, QTableView
from pytestqt.qtbot import QtBot

from desktop.services.queue_watch_history import Sample
from desktop.views.supervisor.cell_delegate import Cell, CellDelegate
from desktop.views.supervisor.cell_table import CellTable
from desktop.views.supervisor.sparkline_delegate import SparklineDelegate
from desktop.views.theme import apply_theme
from tests.gui.supervisor.support import record_paints

pytestmark = pytest.mark.gui

AnyIndex = QModelIndex | QPersistentModelIndex
ROWS, COLUMNS, TREND = 60, 6, 5
LEFT = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
CENTRE = int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter)
BREACH = QColor("#f6d5d5")
BREACH_TEXT = QColor("#8a1111")


class Board(QAbstractTableModel):
    """Text cells of every kind `draw_cell` handles (aligned left, right and centred, too long for
    the column, empty, a breached background and text colour) and a trend column."""

    def __init__(self) -> None:
        super().__init__()
        self.texts = [[self._text(r, c) for c in range(COLUMNS)] for r in range(ROWS)]

    @staticmethod
    def _text(row: int, column: int) -> str:
        if column == 0:
            return (
                f"Queue {row:02d} with a name too long for its column" if row % 4 == 0 else f"Queue {row:02d}"
            )
        if column == TREND or (row + column) % 7 == 0:
            return ""
        return f"{row * column % 13}:{row % 60:02d}"

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else ROWS

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else COLUMNS

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role != Qt.ItemDataRole.DisplayRole:
            return None
        return self.texts[index.row()][index.column()]

    def cell(self, row: int, column: int) -> Cell:
        breached = row % 5 == 2 and column in (1, 2)
        alignment = LEFT if column == 0 else CENTRE if column == 3 else RIGHT
        return (
            self.texts[row][column],
            BREACH if breached else None,
            BREACH_TEXT if breached and column == 1 else None,
            alignment,
        )

    def trend(self, row: int) -> tuple[str, tuple[Sample, ...], float, QColor | None]:
        samples = tuple(
            Sample(at=600.0 + 10 * n, waiting=(n * row) % 9, service_level=0.5 + (n % 5) / 10)
            for n in range(30)
        )
        return f"q{row}", samples if row % 3 else (), 0.8, BREACH if row % 5 == 2 else None

    def set_text(self, row: int, column: int, text: str) -> None:
        self.texts[row][column] = text
        index = self.index(row, column)
        self.dataChanged.emit(index, index)


@pytest.fixture
def app(qapp: QApplication) -> Iterator[QApplication]:
    sheet, palette = qapp.styleSheet(), qapp.palette()
    apply_theme(qapp, "light")
    yield qapp
    qapp.setStyleSheet(sheet)
    qapp.setPalette(palette)


def _pair(qtbot: QtBot, **settings: Any) -> tuple[Board, QTableView, CellTable]:
    """The same model shown by `QTableView` with the delegates and by `CellTable`, set up alike."""
    model = Board()
    reference = QTableView()
    reference.setItemDelegate(CellDelegate(reference))
    reference.setItemDelegateForColumn(TREND, SparklineDelegate(reference))
    subject = CellTable()
    subject.set_column_painter(TREND, SparklineDelegate(subject))
    for view in (reference, subject):
        qtbot.addWidget(view)
        view.setModel(model)
        view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        view.verticalHeader().setDefaultSectionSize(24)
        view.setColumnWidth(0, 150)
        view.setColumnWidth(TREND, 120)
        view.setShowGrid(settings.get("grid", True))
        view.verticalHeader().setVisible(settings.get("row_header", False))
        if settings.get("rtl"):
            view.setLayoutDirection(Qt.LayoutDirection.RightToLeft)
        if settings.get("uneven"):  # rows of other heights and a hidden row and column
            view.setRowHeight(3, 40)
            view.setRowHidden(5, True)
            view.setColumnHidden(2, True)
        view.resize(640, 420)
        view.show()
        qtbot.waitExposed(view)
    return model, reference, subject


class LeftTopGridLines(QProxyStyle):
    """A style that asks for the top and leading grid lines when the headers are hidden (as some
    platform styles do; Fusion does not)."""

    def styleHint(self, hint: QStyle.StyleHint, *args: Any) -> int:
        if hint == QStyle.StyleHint.SH_Table_AlwaysDrawLeftTopGridLines:
            return 1
        return super().styleHint(hint, *args)


def test_top_and_leading_grid_lines_when_the_style_asks(qtbot: QtBot, app: QApplication) -> None:
    _model, reference, subject = _pair(qtbot)
    # a widget does not own the style it is given: these live until the views are gone
    styles = [LeftTopGridLines(), LeftTopGridLines()]
    fusion = QStyleFactory.create("Fusion")
    for rtl in (False, True):
        for view, style in zip((reference, subject), styles, strict=True):
            view.horizontalHeader().hide()
            view.setStyle(style)
            view.setLayoutDirection(Qt.LayoutDirection.RightToLeft if rtl else Qt.LayoutDirection.LeftToRight)
        with_lines = _image(subject)
        assert _differences(_image(reference), with_lines) == 0
        subject.setStyle(fusion)
        assert _differences(_image(subject), with_lines) > 100  # the lines were there
    for view in (reference, subject):
        view.close()
        view.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)


def _image(view: QTableView) -> QImage:
    return view.viewport().grab().toImage()


def _differences(a: QImage, b: QImage) -> int:
    assert a.size() == b.size()
    return sum(1 for y in range(a.height()) for x in range(a.width()) if a.pixel(x, y) != b.pixel(x, y))


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"grid": False},
        {"rtl": True},
        {"row_header": True},
        {"rtl": True, "row_header": True},
        {"uneven": True},
    ],
    ids=["grid", "no-grid", "rtl", "row-header", "rtl-row-header", "uneven-rows"],
)
def test_whole_view_paints_as_qtableview_with_the_delegates(
    qtbot: QtBot, app: QApplication, settings: dict[str, Any]
) -> None:
    _model, reference, subject = _pair(qtbot, **settings)
    for view in (reference, subject):
        view.selectRow(2)  # a breached row, selected
    assert _differences(_image(reference), _image(subject)) == 0


def test_scrolled_and_disabled_views_paint_alike(qtbot: QtBot, app: QApplication) -> None:
    _model, reference, subject = _pair(qtbot)
    for view in (reference, subject):
        view.verticalScrollBar().setValue(17 * 24 + 9)  # a partly shown first row
        view.horizontalScrollBar().setValue(35)
        view.selectRow(20)
    app.processEvents()
    assert _differences(_image(reference), _image(subject)) == 0
    for view in (reference, subject):
        view.setEnabled(False)
    assert _differences(_image(reference), _image(subject)) == 0


def test_a_changed_cell_repaints_only_its_region_and_alike(qtbot: QtBot, app: QApplication) -> None:
    model, reference, subject = _pair(qtbot)
    app.processEvents()
    painted = record_paints(subject)
    model.set_text(3, 2, "a new and much longer text")
    app.processEvents()
    assert painted == [(3, 2)]  # the one cell, not its row or the view
    # what is on screen (the backing store: the cell painted over the old picture) is what a full
    # repaint shows, and what the reference view paints
    on_screen = _on_screen(subject)
    subject.viewport().update()
    app.processEvents()
    assert len(painted) > 10  # the whole view this time
    assert _differences(on_screen, _on_screen(subject)) == 0
    assert _differences(_image(reference), _image(subject)) == 0


@pytest.mark.parametrize("rtl", [False, True], ids=["ltr", "rtl"])
def test_scattered_changes_repaint_their_cells_once_and_alike(
    qtbot: QtBot, app: QApplication, rtl: bool
) -> None:
    """A snapshot changes cells here and there: the region is a rectangle per cell (some side by
    side); each is painted once, and the screen ends up as after a full repaint."""
    model, reference, subject = _pair(qtbot, rtl=rtl)
    for view in (reference, subject):
        view.selectRow(7)
    app.processEvents()
    painted = record_paints(subject)
    changed = [(1, 1), (1, 2), (4, 4), (7, 3), (9, 0), (12, 2), (12, 4), (14, 1)]
    for row, column in changed:
        model.set_text(row, column, f"new {row}.{column}")
    app.processEvents()
    assert sorted(painted) == sorted(changed)  # each changed cell once, nothing else
    on_screen = _on_screen(subject)
    subject.viewport().update()
    app.processEvents()
    assert _differences(on_screen, _on_screen(subject)) == 0
    assert _differences(_image(reference), _image(subject)) == 0


def _on_screen(view: QTableView) -> QImage:
    """The view's pixels in its window's backing store (not a fresh render, as `grab()` makes)."""
    return view.screen().grabWindow(view.winId()).toImage()
