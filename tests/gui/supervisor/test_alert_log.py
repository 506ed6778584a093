"""The alerts log: a ring of `keep` rows (Qt's model contract through adds), newest first from
`lines()`, newest at the bottom on screen, the row count fixed (no layout, no scroll-bar change per
alert), selection and reading place kept as lines shift, Ctrl+C copying the selected lines."""

import pytest
from PySide6.QtCore import QItemSelectionModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QGuiApplication, QPainter
from PySide6.QtWidgets import QApplication, QStyleOptionViewItem
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from desktop.views.supervisor.alert_log import AlertLogModel, AlertLogView
from desktop.views.supervisor.cell_delegate import CellDelegate
from tests.gui.supervisor.support import record

pytestmark = pytest.mark.gui
AnyIndex = QModelIndex | QPersistentModelIndex


def test_the_ring_keeps_qts_contract_and_the_newest_lines(qtmodeltester: ModelTester) -> None:
    model = AlertLogModel(keep=5)
    qtmodeltester.check(model, force_py=True)
    assert model.lines() == [] and model.rowCount() == 5
    signals = record(model)
    model.add(["a", "b"])
    assert model.lines() == ["b", "a"]
    assert [model.index(r, 0).data() for r in range(5)] == ["", "", "", "a", "b"]
    # a blank row cannot be selected; a line can
    assert not model.flags(model.index(2, 0)) & Qt.ItemFlag.ItemIsSelectable
    assert model.flags(model.index(3, 0)) & Qt.ItemFlag.ItemIsSelectable
    model.add(["c", "d", "e", "f"])
    assert model.lines() == ["f", "e", "d", "c", "b"]
    model.add([f"x{n}" for n in range(8)])  # more than the ring holds: the last five
    assert model.lines() == ["x7", "x6", "x5", "x4", "x3"]
    # never an insert, remove or reset: the rows change in place, announced once per add
    assert signals.inserted == [] and signals.removed == [] and signals.resets == 0
    assert signals.changed == [(0, 0, 4, 0)] * 3
    model.add([])
    assert len(signals.changed) == 3


def _show(qtbot: QtBot, view: AlertLogView, height: int) -> None:
    qtbot.addWidget(view)
    view.resize(300, height)
    view.show()
    qtbot.waitExposed(view)


def test_the_view_shows_the_newest_line_and_keeps_selection_and_place(
    qtbot: QtBot, qapp: QApplication
) -> None:
    model = AlertLogModel(keep=50)
    view = AlertLogView(model)
    _show(qtbot, view, 200)
    bar = view.verticalScrollBar()
    top, maximum = bar.minimum(), bar.maximum()
    assert maximum > top and bar.value() == maximum  # at the end from the start
    model.add([f"line {n}" for n in range(40)])
    qapp.processEvents()
    assert (bar.minimum(), bar.maximum(), bar.value()) == (top, maximum, maximum)
    newest = view.visualRect(model.index(49, 0))
    assert view.viewport().rect().contains(newest), "the newest line is on screen"

    # select two lines; new alerts shift them up, the selection follows them
    chosen = view.selectionModel()
    for row in (47, 48):
        chosen.select(model.index(row, 0), QItemSelectionModel.SelectionFlag.Select)
    assert view.selected_lines() == ["line 37", "line 38"]
    model.add(["line 40", "line 41", "line 42"])
    assert view.selected_lines() == ["line 37", "line 38"]
    view.copy_action.trigger()
    assert QGuiApplication.clipboard().text() == "line 37\nline 38"

    # a reader scrolled up to older lines stays on them
    bar.setValue(maximum - 10)
    first = view.rowAt(0)
    reading = model.index(first, 0).data()
    model.add(["line 43", "line 44"])
    assert model.index(view.rowAt(0), 0).data() == reading


def test_an_empty_log_says_so(qtbot: QtBot) -> None:
    model = AlertLogModel(keep=10)
    view = AlertLogView(model)
    _show(qtbot, view, 120)

    def inked_at_top() -> int:
        image = view.viewport().grab().toImage()
        paper = image.pixelColor(image.width() - 1, 0).rgb()
        return sum(
            1 for x in range(image.width()) for y in range(30) if image.pixelColor(x, y).rgb() != paper
        )

    assert inked_at_top() > 20, "the placeholder is drawn at the top"
    model.add(["20:00:00  Queue 1: contacts waiting 7 (threshold 5)"])
    # the line is at the bottom; the top shows blank rows and no placeholder
    assert inked_at_top() == 0


class _PaintedRows(CellDelegate):
    """Paints as the log's delegate does and records the rows it painted."""

    def __init__(self, view: AlertLogView) -> None:
        super().__init__(view)
        self.rows: set[int] = set()

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        self.rows.add(index.row())
        super().paint(painter, option, index)


@pytest.mark.parametrize("reading_above", [False, True])
def test_new_lines_at_the_end_move_the_pixels_and_paint_only_what_came_in(
    qtbot: QtBot, qapp: QApplication, reading_above: bool
) -> None:
    model = AlertLogModel(keep=60)
    view = AlertLogView(model)
    probe = _PaintedRows(view)
    view.setItemDelegate(probe)
    _show(qtbot, view, 200)
    model.add([f"line {n}" for n in range(60)])
    bar = view.verticalScrollBar()
    if reading_above:
        bar.setValue(bar.maximum() - 5)
    for _ in range(2):  # the first lines painted, the view's delayed layout (a 0 ms timer) done
        qapp.processEvents()
    first = view.rowAt(0)
    shown_before = [model.index(first + r, 0).data() for r in range(3)]
    probe.rows.clear()

    model.add(["new 1", "new 2"])
    qapp.processEvents()
    painted = set(probe.rows)
    if reading_above:  # the lines being read stay where they were
        assert [model.index(view.rowAt(0) + r, 0).data() for r in range(3)] == shown_before
    else:  # only the two new lines (and at most a partly shown one above them) are painted
        assert painted <= {57, 58, 59} and {58, 59} <= painted
    # what is on screen (the window's backing store, not a fresh render as `grab()` makes) is
    # what a full repaint shows
    moved = view.screen().grabWindow(view.winId()).toImage()
    view.viewport().update()
    qapp.processEvents()
    assert view.screen().grabWindow(view.winId()).toImage() == moved
