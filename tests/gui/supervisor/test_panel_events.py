"""The supervisor panel fed by SSE events (through the real change hub and an inline task runner):
the queue change shows in place, one alert per breach, the visible agents' times tick, the
sparkline paints, and the banner shows broadcasts."""

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop.services.api import ServerEvent
from desktop.services.queue_watch import COLUMN_OF, TREND_COLUMN
from desktop.services.queue_watch_agents import TIME_COLUMN
from desktop.views.context import ChangeHub, ViewContext
from desktop.views.supervisor.broadcast_banner import BroadcastBanner
from desktop.views.supervisor.panel import SupervisorPanel
from desktop.views.tasks import TaskRunner
from desktop.views.theme import DARK, LIGHT, apply_theme
from tests.gui.supervisor.support import record
from tests.supervisor.factories import agent, queue, snapshot, stamp
from wire.telephony import Broadcast

pytestmark = pytest.mark.gui


@pytest.fixture
def ctx() -> Iterator[ViewContext]:
    tasks = TaskRunner(None, inline=True)
    yield ViewContext(cache=None, tasks=tasks, hub=ChangeHub(), request_sync=lambda: None)  # type: ignore[arg-type]
    tasks.shutdown()


def _snapshot(ctx: ViewContext, at: float, queues: list[Any], agents: list[Any] | None = None) -> None:
    data = snapshot(queues, agents if agents is not None else [agent("a1")], at=at)
    ctx.hub.server_event.emit(ServerEvent("queue_snapshot", data, str(at)))


def test_snapshots_update_the_panel_in_place_and_alert_once_per_breach(
    qtbot: QtBot, ctx: ViewContext, qapp: QApplication
) -> None:
    panel = SupervisorPanel(ctx)
    qtbot.addWidget(panel)
    assert "Not connected" in panel.message.text()
    _snapshot(ctx, 0, [queue("q1"), queue("q2")])
    assert panel.queue_model.rowCount() == 2 and panel.agent_model.rowCount() == 1
    signals = record(panel.queue_model)
    _snapshot(ctx, 1, [queue("q1", contacts_waiting=7), queue("q2")])
    assert panel.queue_view.model().index(0, COLUMN_OF["waiting"]).data() == "7"
    assert signals.resets == 0
    # 7 waiting > 5: a breach; it stays breached while it hovers at 5-6, then recovers at 4
    for n, waiting in enumerate([6, 5, 6, 7, 4, 3], start=2):
        _snapshot(ctx, n, [queue("q1", contacts_waiting=waiting), queue("q2")])
    assert panel.notifier.shown == 1
    texts = panel.notifier.lines()
    assert len(texts) == 2 and "recovered" in texts[0] and "contacts waiting 7 (threshold 5)" in texts[1]
    # an older picture arriving late is ignored
    _snapshot(ctx, 0, [queue("q1", contacts_waiting=99), queue("q2")])
    assert panel.queue_model.index(0, COLUMN_OF["waiting"]).data() == "3"

    # the breach colours follow the theme (the panel hears the palette change)
    _snapshot(ctx, 9, [queue("q1", contacts_waiting=9), queue("q2")])
    cell = panel.queue_model.index(0, COLUMN_OF["waiting"])
    assert cell.data(Qt.ItemDataRole.BackgroundRole) == QColor(LIGHT.danger)
    apply_theme(qapp, "dark")
    qapp.processEvents()  # the palette change reaches the widgets as a posted event
    try:
        assert cell.data(Qt.ItemDataRole.BackgroundRole) == QColor(DARK.danger)
    finally:
        apply_theme(qapp, "light")


def test_the_visible_agents_time_ticks_and_the_sparkline_paints(qtbot: QtBot, ctx: ViewContext) -> None:
    panel = SupervisorPanel(ctx)
    qtbot.addWidget(panel)
    panel.resize(1200, 700)
    panel.show()
    qtbot.waitExposed(panel)
    agents = [agent(f"a{n:04d}", state_since=stamp(-n)) for n in range(2000)]
    for n in range(0, 600, 20):
        _snapshot(ctx, n, [queue("q1", contacts_waiting=(n // 20) % 7)], agents)
    signals = record(panel.agent_model)
    panel.refresh_visible_times()
    rows = {row for row, column in signals.cells() if column == TIME_COLUMN}
    assert signals.cells() == {(row, TIME_COLUMN) for row in rows}
    assert min(rows) == 0 and 0 < max(rows) < 100 and rows == set(range(max(rows) + 1))
    with qtbot.waitSignal(panel.tick_timer.timeout, timeout=120_000):
        pass  # the panel's own once-a-second timer runs while it is shown

    view = panel.queue_view
    rect = view.visualRect(panel.queue_model.index(0, TREND_COLUMN))
    image = view.viewport().grab(rect).toImage()
    accent = QColor(LIGHT.accent)
    painted = sum(
        1
        for x in range(image.width())
        for y in range(image.height())
        if abs(image.pixelColor(x, y).hue() - accent.hue()) < 12 and image.pixelColor(x, y).saturation() > 40
    )
    assert painted > 20, "the sparkline's waiting area is drawn in the accent colour"
    panel.hide()
    assert not panel.poll_timer.isActive() and not panel.tick_timer.isActive()


def test_the_banner_shows_broadcasts_until_dismissed(qtbot: QtBot, ctx: ViewContext) -> None:
    banner = BroadcastBanner(ctx)
    qtbot.addWidget(banner)
    assert banner.isHidden()
    sent = Broadcast(id="b1", queue_id=None, text="Fire drill at <b>3</b>", sender="Supervisor", at=stamp())
    with qtbot.waitSignal(banner.received):
        ctx.hub.server_event.emit(ServerEvent("broadcast", sent.model_dump(mode="json"), "1"))
    assert not banner.isHidden()
    assert "Supervisor" in banner.label.text() and "Fire drill at <b>3</b>" in banner.label.text()
    assert banner.label.textFormat() == Qt.TextFormat.PlainText
    ctx.hub.server_event.emit(ServerEvent("broadcast", sent.model_dump(mode="json"), "1"))  # the same again
    ctx.hub.server_event.emit(ServerEvent("broadcast", {"id": "broken"}, "2"))  # not a broadcast: ignored
    assert len(banner.pending) == 1
    qtbot.mouseClick(banner.dismiss, Qt.MouseButton.LeftButton)
    assert banner.isHidden() and banner.pending == []


def test_cells_paint_their_text_and_breach_colours(qtbot: QtBot, ctx: ViewContext) -> None:
    panel = SupervisorPanel(ctx)
    qtbot.addWidget(panel)
    panel.resize(1200, 700)
    panel.show()
    qtbot.waitExposed(panel)
    _snapshot(ctx, 0, [queue("q1", contacts_waiting=9, name="Billing"), queue("q2")])
    view = panel.queue_view
    waiting = panel.queue_model.index(0, COLUMN_OF["waiting"])
    calm = panel.queue_model.index(1, COLUMN_OF["waiting"])

    def pixel(index: Any) -> QColor:
        rect = view.visualRect(index)
        image = view.viewport().grab(rect).toImage()
        return image.pixelColor(2, image.height() // 2)  # left of the right-aligned number

    assert pixel(waiting) == QColor(LIGHT.danger)
    assert pixel(calm) != QColor(LIGHT.danger)
    name = view.visualRect(panel.queue_model.index(0, COLUMN_OF["name"]))
    image = view.viewport().grab(name).toImage()
    inked = {image.pixelColor(x, y).name() for x in range(image.width()) for y in range(image.height())}
    assert len(inked) > 3, "the queue's name is drawn over the row's tint"
