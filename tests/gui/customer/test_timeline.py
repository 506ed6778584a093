"""The timeline: an id-based lazy model grouped by day, channel chips and a text filter in SQL, and
a 100,000-interaction customer that scrolls to the end fetching only the rows it paints."""

from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from desktop.domain import CHANNELS, Interaction
from desktop.services.store import Cache
from desktop.views.customer.timeline_model import (
    HEADER_ROLE,
    ID_ROLE,
    INTERACTION_ROLE,
    PAGE_SIZE,
    TimelineModel,
)
from desktop.views.customer.timeline_view import TimelineView
from tests.gui.customer.sample import BIG_CUSTOMER, CUSTOMER, NOW, bulk_interactions

pytestmark = pytest.mark.gui


def today() -> date:
    return NOW.astimezone().date()


def channels_shown(model: TimelineModel) -> list[str]:
    found = []
    for row in range(model.rowCount()):
        item = model.index(row, 0).data(INTERACTION_ROLE)
        if isinstance(item, Interaction):
            found.append(item.channel)
    return found


def test_model_passes_the_model_tester(qtmodeltester: ModelTester, cache: Cache) -> None:
    model = TimelineModel(cache, CUSTOMER, today=today)
    qtmodeltester.check(model)


def test_every_channel_newest_first_grouped_by_day(qtbot: QtBot, cache: Cache) -> None:
    view = TimelineView(cache, CUSTOMER, today=today)
    qtbot.addWidget(view)
    model = view.model
    assert sorted(channels_shown(model)) == sorted(CHANNELS)
    headers = [r for r in range(model.rowCount()) if model.index(r, 0).data(HEADER_ROLE)]
    assert headers[0] == 0 and len(headers) >= 2
    assert model.index(0, 0).data() == "Today"
    assert model.index(0, 0).flags() & Qt.ItemFlag.ItemIsSelectable == Qt.ItemFlag.NoItemFlags
    stamps = [
        model.index(r, 0).data(INTERACTION_ROLE).occurred_at
        for r in range(model.rowCount())
        if r not in headers
    ]
    assert stamps == sorted(stamps, reverse=True)
    assert all(view.chips[c].isEnabled() for c in CHANNELS)
    assert view.chips["phone"].text().endswith(" 1")


def test_channel_chips_and_text_filter(qtbot: QtBot, cache: Cache) -> None:
    view = TimelineView(cache, CUSTOMER, today=today)
    qtbot.addWidget(view)
    view.chips["phone"].click()
    view.chips["email"].click()
    shown = channels_shown(view.model)
    assert "phone" not in shown and "email" not in shown and len(shown) == len(CHANNELS) - 2
    view.chips["phone"].click()
    assert "phone" in channels_shown(view.model)

    qtbot.keyClicks(view.filter_edit, "northwind")
    qtbot.keyClick(view.filter_edit, Qt.Key.Key_Return)
    assert channels_shown(view.model) == ["partner"]
    assert view.count_label.text() == "1 shown"

    view.filter_edit.setText("no such words")
    qtbot.waitUntil(lambda: view.model.interaction_count == 0)
    assert view.empty_label.isVisibleTo(view) and not view.list.isVisibleTo(view)
    assert view.empty_label.text() == "No interactions match."


def test_hundred_thousand_interactions_fetch_only_visible_rows(qtbot: QtBot, cache: Cache) -> None:
    bulk_interactions(cache, BIG_CUSTOMER, 100_000)
    view = TimelineView(cache, BIG_CUSTOMER, today=today)
    qtbot.addWidget(view)
    view.resize(600, 800)
    with qtbot.waitExposed(view):
        view.show()
    model = view.model
    assert model.interaction_count == 100_000
    view.grab()
    after_open = model.fetch_count
    assert 1 <= after_open <= 2

    view.list.scrollToBottom()
    QApplication.processEvents()
    view.grab()
    # the last page (and at most the one before it, when the screen straddles a page boundary)
    assert model.fetch_count - after_open <= 2
    assert model.cached_rows <= 4 * PAGE_SIZE
    last = model.index(model.rowCount() - 1, 0)
    assert last.data(ID_ROLE) == f"{BIG_CUSTOMER[:8]}-0099999"
    assert model.fetch_count - after_open <= 2

    for step in range(1, 6):  # paging back up a screen at a time reads at most one page per screen
        view.list.verticalScrollBar().setValue(view.list.verticalScrollBar().maximum() - step * 700)
        QApplication.processEvents()
        view.grab()
    assert model.fetch_count - after_open <= 4
