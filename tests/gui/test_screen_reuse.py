"""Screen pop without building a screen: `CustomerScreen.show_customer` refills a screen in place,
and `CustomerTabs` keeps a hidden spare screen that the next pop fills (bench/screen_pop.py).

What must hold: refilling creates no widget and shows exactly what a new screen would (nothing of
the previous customer leaks: reveals, draft notes, timeline filters, dialogs); an empty screen does
no work on changes; the spare is never a tab, is built by the event loop after a pop, becomes the
next customer's tab, and closing a tab keeps (or deletes) its screen without breaking the tab's
signals or the saved tab state.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from desktop.services import case_work
from desktop.services.store import Cache, Changed, open_cache
from desktop.views.context import ChangeHub, ViewContext
from desktop.views.customer.screen import CustomerScreen
from desktop.views.tabs import CustomerTabs
from desktop.views.tasks import TaskRunner
from tests.gui.customer.sample import BIG_CUSTOMER, CASE_NEAR, CUSTOMER, DNC_CUSTOMER, NOW, seed
from wire.auth import UserInfo

pytestmark = pytest.mark.gui

AGENT = UserInfo(
    id="u-agent", username="agent", display_name="Alex Agent", roles=["agent"], queue_ids=[], territory_ids=[]
)
MARGARET_IDENTITIES = [
    ("Account number", "AC-0042-7781"),
    ("Field service", "FS-00917"),
    ("Partner portal: Northwind", "NW-44-2210"),
    ("Web shop", "WS-558812"),
]


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[Cache]:
    opened, _report = open_cache(tmp_path / "cache.db", None)
    seed(opened)
    yield opened
    opened.close()


@pytest.fixture
def ctx(cache: Cache, tmp_path: Path) -> Iterator[ViewContext]:
    tasks = TaskRunner(cache.writer, inline=True)
    settings = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    yield ViewContext(
        cache=cache, tasks=tasks, hub=ChangeHub(), request_sync=lambda: None, user=AGENT, settings=settings
    )
    tasks.shutdown()


def _widgets(root: QWidget) -> set[int]:
    return {id(w) for w in root.findChildren(QWidget)}


def _screen(qtbot: QtBot, ctx: ViewContext, customer_id: str | None) -> CustomerScreen:
    screen = CustomerScreen(ctx, customer_id, clock=lambda: NOW)
    qtbot.addWidget(screen)
    screen.resize(1280, 760)
    return screen


# -- refilling a screen in place ---------------------------------------------------------------------


def test_show_customer_refills_without_creating_widgets(qtbot: QtBot, ctx: ViewContext) -> None:
    screen = _screen(qtbot, ctx, CUSTOMER)
    screen.show()
    qtbot.waitExposed(screen)
    before = _widgets(screen)
    resets: list[str] = []
    screen.timeline.model.modelReset.connect(lambda: resets.append("timeline"))
    screen.cases_model.modelReset.connect(lambda: resets.append("cases"))
    titles: list[str] = []
    screen.titleChanged.connect(titles.append)

    screen.show_customer(DNC_CUSTOMER)
    assert screen.customer_id == DNC_CUSTOMER and screen.title() == "Peter Quist"
    assert titles == ["Peter Quist"]
    assert resets == ["timeline", "cases"]  # one reset of each model
    assert screen.profile_card.dnc_banner.isVisibleTo(screen)
    assert screen.identities_view.entries() == [("Account number", "AC-0099-0001")]
    assert list(screen.contact_points_view.values) == ["p9"]
    assert screen.cases_model.rowCount() == 0 and screen.case_editor.case_id is None
    assert screen.timeline.model.interaction_count == 0
    assert not screen.timeline.list.isVisibleTo(screen)

    screen.show_customer(CUSTOMER)
    assert _widgets(screen) == before  # nothing created, nothing deleted: labels and rows reused
    assert screen.title() == "Margaret Okonkwo-Hale"
    assert not screen.profile_card.dnc_banner.isVisibleTo(screen)
    assert screen.identities_view.entries() == MARGARET_IDENTITIES
    assert list(screen.contact_points_view.values) == ["p1", "p2", "p3"]
    assert all(screen.contact_points_view.values[p].isVisibleTo(screen) for p in ("p1", "p2", "p3"))
    assert screen.timeline.model.interaction_count == 8
    assert screen.cases_model.rowCount() == 2
    assert screen.case_editor.case_id == screen.cases_model.case_at(0).id  # type: ignore[union-attr]


def test_a_refilled_screen_forgets_the_previous_customer(qtbot: QtBot, ctx: ViewContext) -> None:
    screen = _screen(qtbot, ctx, CUSTOMER)
    view = screen.contact_points_view
    view.reveal("p1")
    assert "•" not in view.values["p1"].text()
    screen.cases_view.select_case(CASE_NEAR)
    screen.case_editor.note_edit.setPlainText("half a note about Margaret")
    screen.timeline.chips["phone"].setChecked(False)
    screen.timeline.filter_edit.setText("router")
    dialog = screen.open_new_case()
    assert dialog.isVisible()

    screen.show_customer(DNC_CUSTOMER)
    assert not dialog.isVisible()
    assert screen.case_editor.note_edit.toPlainText() == ""
    screen.show_customer(CUSTOMER)
    assert view.values["p1"].text() == "••• •••• •958"  # a new reveal (and audit) is needed
    assert screen.timeline.selected_channels() is None
    assert screen.timeline.filter_edit.text() == ""
    assert screen.timeline.model.interaction_count == 8
    assert screen.case_editor.case_id == screen.cases_model.case_at(0).id  # type: ignore[union-attr]


def test_an_empty_screen_shows_nothing_and_ignores_changes(
    qtbot: QtBot, ctx: ViewContext, cache: Cache
) -> None:
    screen = _screen(qtbot, ctx, None)
    assert screen.customer_id is None
    assert screen.timeline.model.rowCount() == 0 and screen.cases_model.rowCount() == 0
    resets: list[str] = []
    screen.timeline.model.modelReset.connect(lambda: resets.append("timeline"))
    screen.cases_model.modelReset.connect(lambda: resets.append("cases"))
    _id, changed = case_work.log_interaction(cache.writer, CUSTOMER, "call_note", "Ours", None)
    ctx.hub.publish(changed)
    ctx.hub.publish(Changed(rows={"customer": {CUSTOMER}, "case": {CASE_NEAR}}))
    assert resets == []

    screen.show_customer(CUSTOMER)
    assert screen.timeline.model.interaction_count == 9
    _id, mine = case_work.log_interaction(cache.writer, CUSTOMER, "call_note", "Also ours", None)
    ctx.hub.publish(mine)
    assert resets == ["timeline", "cases", "timeline"]  # the filled screen follows its customer again


# -- the spare screen of the tabs -------------------------------------------------------------------


def _tabs(qtbot: QtBot, ctx: ViewContext) -> CustomerTabs:
    tabs = CustomerTabs(ctx)
    qtbot.addWidget(tabs)
    tabs.resize(1280, 760)
    tabs.show()
    qtbot.waitExposed(tabs)
    return tabs


def test_a_pop_fills_the_spare_and_a_new_spare_follows(qtbot: QtBot, ctx: ViewContext) -> None:
    tabs = _tabs(qtbot, ctx)
    assert tabs.spare is None
    first = tabs.open_customer(CUSTOMER, fetch_history=False)
    assert isinstance(first, CustomerScreen)
    qtbot.waitUntil(lambda: tabs.spare is not None)  # built by the event loop after the pop
    spare = tabs.spare
    assert isinstance(spare, CustomerScreen) and spare.customer_id is None
    assert not spare.isVisible() and tabs.indexOf(spare) == -1
    assert tabs.count() == 1 and tabs.customer_ids() == [CUSTOMER]

    second = tabs.open_customer(DNC_CUSTOMER, fetch_history=False)
    assert second is spare and tabs.spare is None
    assert tabs.customer_ids() == [CUSTOMER, DNC_CUSTOMER]
    assert tabs.currentWidget() is second and second.isVisible()
    assert tabs.tabText(1) == "Peter Quist"
    assert second.profile_card.dnc_banner.isVisibleTo(second)

    assert tabs.open_customer(CUSTOMER, fetch_history=False) is first  # one tab per customer
    assert tabs.count() == 2 and tabs.currentIndex() == 0
    qtbot.waitUntil(lambda: tabs.spare is not None)
    assert tabs.spare not in (first, second)


def test_closing_keeps_a_screen_as_the_spare_only_when_there_is_none(qtbot: QtBot, ctx: ViewContext) -> None:
    tabs = _tabs(qtbot, ctx)
    assert tabs.prepare_spare()
    spare = tabs.spare
    screen = tabs.open_customer(CUSTOMER, fetch_history=False)
    assert screen is spare
    other = tabs.open_customer(DNC_CUSTOMER, fetch_history=False)  # built: the spare is not back yet
    assert other is not screen and tabs.spare is None

    tabs.close_tab(tabs.index_of(CUSTOMER))  # no spare: the closed screen becomes it, emptied
    assert tabs.spare is screen and isinstance(screen, CustomerScreen)
    assert screen.customer_id is None and not screen.isVisible()
    assert tabs.customer_ids() == [DNC_CUSTOMER]

    deleted: list[bool] = []
    other.destroyed.connect(lambda: deleted.append(True))
    tabs.close_tab(0)  # a spare exists: the closed screen is deleted
    qtbot.waitUntil(lambda: bool(deleted))
    assert tabs.count() == 0 and tabs.spare is screen


def test_a_recycled_screen_keeps_one_connection_to_the_tabs(qtbot: QtBot, ctx: ViewContext) -> None:
    tabs = _tabs(qtbot, ctx)
    problems: list[str] = []
    tabs.problem.connect(problems.append)
    screen = tabs.open_customer(CUSTOMER, fetch_history=False)
    assert isinstance(screen, CustomerScreen)
    qtbot.waitUntil(lambda: tabs.spare is not None)
    tabs.close_tab(0)  # a spare exists: deleted
    tabs.open_customer(DNC_CUSTOMER, fetch_history=False)  # takes the spare
    recycled = tabs.current_screen()
    assert isinstance(recycled, CustomerScreen)
    tabs.close_tab(0)  # no spare yet: recycled
    assert tabs.spare is recycled
    again = tabs.open_customer(CUSTOMER, fetch_history=False)
    assert again is recycled

    recycled.problem.emit("refused")
    assert problems == ["refused"]  # once, not once per opening
    recycled.titleChanged.emit("Margaret O. Hale")
    assert tabs.tabText(0) == "Margaret O. Hale"


def test_tab_state_is_saved_without_the_spare(qtbot: QtBot, ctx: ViewContext, tmp_path: Path) -> None:
    tabs = _tabs(qtbot, ctx)
    for customer_id in (CUSTOMER, BIG_CUSTOMER):
        tabs.open_customer(customer_id, fetch_history=False)
        qtbot.waitUntil(lambda: tabs.spare is not None)
    tabs.setCurrentIndex(0)
    settings = QSettings(str(tmp_path / "state.ini"), QSettings.Format.IniFormat)
    tabs.save_state(settings)

    restored = _tabs(qtbot, ctx)
    restored.restore_state(settings)
    assert restored.customer_ids() == [CUSTOMER, BIG_CUSTOMER]
    assert [restored.tabText(i) for i in range(2)] == ["Margaret Okonkwo-Hale", "Busy Bee Wholesale"]
    assert restored.currentIndex() == 0
