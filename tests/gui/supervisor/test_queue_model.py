"""The queue panel's model: Qt's model contract, cells updated in place (only the changed ones),
tool tips with each metric's definition, and breach colours that follow the hysteresis."""

import itertools

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication
from pytestqt.modeltest import ModelTester

from desktop.services.queue_watch import COLUMN_OF, COLUMNS, TREND_COLUMN
from desktop.services.queue_watch_alerts import AlertEvent
from desktop.views.supervisor.queue_model import BREACH_ROLE, HISTORY_ROLE, QueueModel
from desktop.views.theme import DARK, LIGHT, apply_theme
from tests.gui.supervisor.support import Feed, record
from tests.supervisor.factories import queue
from wire.telephony import QueueStatus

pytestmark = pytest.mark.gui

BG = Qt.ItemDataRole.BackgroundRole


class Fed:
    """A queue model fed through the worker's state, as the panel feeds it."""

    def __init__(self) -> None:
        self.now = 0.0
        self.model = QueueModel(clock=lambda: self.now)
        self.feed = Feed()

    def __call__(self, at: float, *queues: QueueStatus) -> list[AlertEvent]:
        update = self.feed(at, list(queues))
        self.model.apply(update)
        return list(update.events)


def test_the_model_keeps_qts_contract_through_updates(qtmodeltester: ModelTester) -> None:
    fed = Fed()
    model = fed.model
    qtmodeltester.check(model, force_py=True)
    fed(0, queue("q1"), queue("q2"), queue("q3"))
    fed(1, queue("q2", contacts_waiting=9), queue("q3"), queue("q4"))
    fed(2, queue("q4"), queue("q2", rolling_over={"service_level": 0.4}))
    assert [model.index(r, 0).data() for r in range(model.rowCount())] == ["Queue q2", "Queue q4"]
    assert model.columnCount() == len(COLUMNS)


def test_a_snapshot_changes_only_the_cells_that_moved() -> None:
    fed = Fed()
    model = fed.model
    fed(0, *(queue(f"q{n}") for n in range(5)))
    signals = record(model)
    fed(
        1,
        queue("q0"),
        queue("q1", contacts_waiting=4),  # one cell; the sparkline's bucket peak moves too
        queue("q2"),
        queue("q3", rolling_over={"asa_s": 30.0, "aht_s": 300.0}),  # two cells
        queue("q4", oldest_wait_s=12.3),  # shown as 0:12 before and after: nothing
    )
    assert signals.resets == 0 and signals.inserted == [] and signals.removed == []
    assert signals.cells() == {
        (1, COLUMN_OF["waiting"]),
        (1, TREND_COLUMN),
        (3, COLUMN_OF["asa"]),
        (3, COLUMN_OF["aht"]),
    }
    # with no view told the model what it shows, one signal per cell (a range of several cells
    # repaints its neighbours too: keyed_rows)
    assert all(top == bottom and left == right for top, left, bottom, right in signals.changed)
    assert len(signals.changed) == 4
    assert model.index(1, COLUMN_OF["waiting"]).data() == "4"
    assert model.index(3, COLUMN_OF["asa"]).data() == "0:30"


def test_new_and_gone_queues_are_inserted_and_removed_not_reset() -> None:
    fed = Fed()
    model = fed.model
    fed(0, queue("q1"), queue("q2"))
    signals = record(model)
    fed(1, queue("q2"), queue("q3"))
    assert signals.removed == [(0, 0)] and signals.inserted == [(1, 1)] and signals.resets == 0
    assert model.row_of("q2") == 0 and model.row_of("q3") == 1


def test_tooltips_give_each_metrics_definition_with_the_queues_own_threshold() -> None:
    fed = Fed()
    model = fed.model
    fed(0, queue("q1", sl_threshold_s=30))
    sl = model.index(0, COLUMN_OF["sl_rolling"]).data(Qt.ItemDataRole.ToolTipRole)
    assert "SL@30s" in sl and "short abandons" in sl and "Target 80 %" in sl
    aht = model.index(0, COLUMN_OF["aht"]).data(Qt.ItemDataRole.ToolTipRole)
    assert "after-contact work" in aht and "Talk 3:41" in aht
    advice = model.index(0, COLUMN_OF["advice"]).data(Qt.ItemDataRole.ToolTipRole)
    assert "Erlang C" in advice and "probability of waiting 31 %" in advice
    header = model.headerData(
        COLUMN_OF["abandon_rate"], Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole
    )
    assert "callbacks are not abandons" in header
    for column in range(model.columnCount()):
        assert model.index(0, column).data(Qt.ItemDataRole.ToolTipRole)


def test_a_breach_colours_the_cell_and_the_row_once_and_clears_with_hysteresis(qapp: QApplication) -> None:
    apply_theme(qapp, "light")
    fed = Fed()
    model = fed.model
    fed(0, queue("q1"), queue("q2"))
    signals = record(model)
    sl = COLUMN_OF["sl_rolling"]
    events = fed(1, queue("q1", rolling_over={"service_level": 0.7}), queue("q2"))
    assert [(e.queue_id, e.metric, e.kind) for e in events] == [("q1", "service_level", "breach")]
    whole_row = {(0, column) for column in range(len(COLUMNS))}
    assert signals.cells() == whole_row  # the whole row (its colour changed), and only it
    assert model.index(0, sl).data(BG) == QColor(LIGHT.danger)
    row_tint = model.index(0, COLUMN_OF["waiting"]).data(BG)
    assert isinstance(row_tint, QColor) and row_tint not in (QColor(LIGHT.danger), QColor(LIGHT.background))
    assert model.index(1, sl).data(BG) is None
    assert model.index(0, 0).data(BREACH_ROLE) == {"service_level"}

    # hovering around the target: no new alert, no row repaint
    signals.clear()
    hovering = [0.81, 0.79, 0.84, 0.78]
    for n, value in enumerate(hovering, start=2):
        assert fed(n, queue("q1", rolling_over={"service_level": value}), queue("q2")) == []
    assert not whole_row <= signals.cells()

    cleared = fed(9, queue("q1", rolling_over={"service_level": 0.9}), queue("q2"))
    assert [e.kind for e in cleared] == ["clear"]
    assert model.index(0, sl).data(BG) is None

    apply_theme(qapp, "dark")
    model.theme_changed()  # what the panel does on the palette change
    try:
        fed(10, queue("q1", contacts_waiting=8), queue("q2"))
        assert model.index(0, COLUMN_OF["waiting"]).data(BG) == QColor(DARK.danger)
    finally:
        apply_theme(qapp, "light")


def test_the_trend_column_holds_the_history_for_the_sparkline() -> None:
    fed = Fed()
    model = fed.model
    for n in range(0, 60, 5):
        fed(n, queue("q1", contacts_waiting=n // 5))
    points = model.index(0, TREND_COLUMN).data(HISTORY_ROLE)
    waits = [p.waiting for p in points]  # the most waiting in each 10 s bucket
    assert len(points) in (6, 7) and waits == sorted(waits) and waits[-1] == 11
    assert all(b.at - a.at == 10 for a, b in itertools.pairwise(points))
    assert (
        model.index(0, TREND_COLUMN)
        .data(Qt.ItemDataRole.AccessibleTextRole)
        .startswith(f"Waiting {waits[0]} → 11")
    )


def test_the_oldest_wait_advances_between_snapshots_and_is_repainted_where_someone_waits() -> None:
    fed = Fed()
    model = fed.model
    fed(0, queue("q1", oldest_wait_s=12.4), queue("q2", contacts_waiting=0, oldest_wait_s=None))
    column = COLUMN_OF["oldest_wait"]
    assert model.index(0, column).data() == "0:12" and model.index(1, column).data() == "—"
    fed.now += 50  # no snapshot: nothing happened at the server
    assert model.index(0, column).data() == "1:02"
    signals = record(model)
    model.refresh_waits(0, 1)
    assert signals.changed == [(0, column, 0, column)]
