"""The supervisor's "Offer acceptance" tab: the table model keeps Qt's contract and sorts itself;
against the real server over loopback (through a proxy that can play a server that is down), the
responses an agent pushed show per offer and per queue with the right counts and rates, the window
selector changes the query, an empty window and an agent's 403 say so plainly, a server that cannot
be reached keeps the last figures and says they are stale, and in the dock the report loads only
when its tab is first shown."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from PySide6.QtCore import QPersistentModelIndex, Qt
from PySide6.QtWidgets import QMainWindow, QVBoxLayout, QWidget
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from desktop.services.api import ApiClient
from desktop.services.api_http import ApiConfig
from desktop.services.offer_acceptance import AcceptanceLine, parse_window, sorted_lines
from desktop.views.context import ChangeHub, ViewContext
from desktop.views.supervisor.attach import attach_supervisor
from desktop.views.supervisor.offer_acceptance_model import KEY_ROLE, VALUE_ROLE, AcceptanceModel
from desktop.views.supervisor.offer_acceptance_view import OfferAcceptanceView
from desktop.views.tasks import TaskRunner
from tests.api.sync_helpers import Mirror
from tests.gui.conftest import wait_for
from tests.offers import conftest as offers_fixtures
from tests.offers.catalog_builder import new_id
from tests.offers.conftest import OffersServer
from tests.support.fault_proxy import FaultProxy

pytestmark = pytest.mark.gui

#: the live offers server over a hand-made catalog (users of every role, the Sales and Retention queues)
offers_server = offers_fixtures.offers_server

#: a port nothing listens on: the proxy's upstream while "the server is down"
DEAD_PORT = 1


def _line(name: str, offered: int, accepted: int, key: str = "") -> AcceptanceLine:
    declined = (offered - accepted) // 2
    return AcceptanceLine(
        key=key or name,
        name=name,
        offered=offered,
        accepted=accepted,
        declined=declined,
        not_now=offered - accepted - declined,
        rate=accepted / offered if offered else 0.0,
    )


def _column(model: AcceptanceModel, column: int, role: int = Qt.ItemDataRole.DisplayRole) -> list[Any]:
    return [model.index(row, column).data(role) for row in range(model.rowCount())]


# -- the model ---------------------------------------------------------------------------------------


def test_the_model_keeps_qts_contract_through_reports_and_sorting(qtmodeltester: ModelTester) -> None:
    model = AcceptanceModel("Offer")
    qtmodeltester.check(model, force_py=True)
    model.set_lines([_line("Tower fan", 7, 3), _line("Mesh", 4, 2), _line("TV", 0, 0)])
    model.sort(5, Qt.SortOrder.DescendingOrder)
    model.set_lines([_line("Mesh", 5, 2), _line("air con", 2, 2)])
    model.sort(0, Qt.SortOrder.AscendingOrder)
    model.set_lines([])
    assert model.rowCount() == 0 and model.columnCount() == 6


def test_the_model_sorts_its_own_rows_and_keeps_the_order_for_the_next_report(qtbot: QtBot) -> None:
    model = AcceptanceModel("Offer")
    lines = [_line("Tower fan", 7, 3), _line("mesh", 4, 2), _line("Air con", 4, 1), _line("TV", 0, 0)]
    model.set_lines(lines)
    assert _column(model, 0) == ["Tower fan", "mesh", "Air con", "TV"]  # the server's order
    assert _column(model, 5) == ["42.9 %", "50.0 %", "25.0 %", "0.0 %"]
    assert _column(model, 5, VALUE_ROLE) == [3 / 7, 0.5, 0.25, 0.0]
    assert model.index(0, 2).data(Qt.ItemDataRole.AccessibleTextRole) == "Accepted: 3"
    assert model.index(0, 5).data(Qt.ItemDataRole.ToolTipRole) == "3 of 7 responses accepted"
    assert model.index(0, 1).data(Qt.ItemDataRole.TextAlignmentRole) == int(
        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
    )
    assert model.headerData(5, Qt.Orientation.Horizontal) == "Rate"
    assert (
        model.headerData(5, Qt.Orientation.Horizontal, Qt.ItemDataRole.AccessibleTextRole)
        == "Acceptance rate"
    )
    assert model.index(0, 5).data(Qt.ItemDataRole.AccessibleTextRole) == "Acceptance rate: 42.9 %"

    held = model.index(1, 0)  # "mesh": a persistent index follows its row through a sort
    persistent = QPersistentModelIndex(held)
    layouts: list[int] = []
    model.layoutChanged.connect(lambda *_: layouts.append(1))
    model.sort(5, Qt.SortOrder.DescendingOrder)
    assert _column(model, 0) == ["mesh", "Tower fan", "Air con", "TV"] and layouts == [1]
    assert persistent.row() == 0 and persistent.data() == "mesh"
    # ties keep the name order (A to Z) whichever way a figure column is sorted
    model.sort(1, Qt.SortOrder.DescendingOrder)
    assert _column(model, 0) == ["Tower fan", "Air con", "mesh", "TV"]
    model.sort(1, Qt.SortOrder.AscendingOrder)
    assert _column(model, 0) == ["TV", "Air con", "mesh", "Tower fan"]
    model.sort(0, Qt.SortOrder.AscendingOrder)  # names without regard to case
    assert _column(model, 0) == ["Air con", "mesh", "Tower fan", "TV"]
    assert _column(model, 0, KEY_ROLE) == ["Air con", "mesh", "Tower fan", "TV"]

    model.sort(2, Qt.SortOrder.DescendingOrder)
    model.set_lines([_line("Mesh", 9, 1), _line("Fan", 2, 2)])  # a new report: the chosen order holds
    assert _column(model, 0) == ["Fan", "Mesh"]


def test_the_window_setting_and_the_sort_keys_reject_what_they_do_not_know() -> None:
    assert [parse_window(v) for v in ("7", 90, "30", None, "365", "week", 0)] == [7, 90, 30, 30, 30, 30, 30]
    with pytest.raises(ValueError, match="no column"):
        sorted_lines([], 6, descending=False)


# -- against the real server -------------------------------------------------------------------------


@dataclass
class Desk:
    """A supervisor's (or agent's) signed-in client behind the proxy, and a view context using it."""

    ctx: ViewContext
    api: ApiClient
    proxy: FaultProxy
    upstream_port: int

    def server_down(self) -> None:
        self.proxy.upstream_port = DEAD_PORT
        self.proxy.close_all()

    def server_up(self) -> None:
        self.proxy.upstream_port = self.upstream_port


def _no_wait(_seconds: float) -> None:
    return None


@pytest.fixture
def desk_for(offers_server: OffersServer) -> Iterator[Any]:
    made: list[Desk] = []

    def make(username: str) -> Desk:
        port = int(offers_server.url.rsplit(":", 1)[1])
        proxy = FaultProxy(upstream_port=port).start()
        api = ApiClient(ApiConfig(base_url=proxy.url, max_attempts=2), None, sleep=_no_wait)
        user = api.login(username, "demo")
        tasks = TaskRunner(None)  # the real network lane: answers come back on the GUI thread
        ctx = ViewContext(
            cache=None,  # type: ignore[arg-type]  # the report needs no cache
            tasks=tasks,
            hub=ChangeHub(),
            request_sync=lambda: None,
            user=user,
            api=api,
        )
        desk = Desk(ctx, api, proxy, port)
        made.append(desk)
        return desk

    yield make
    for desk in made:
        desk.ctx.tasks.shutdown()
        desk.api.close()
        desk.proxy.stop()


def _at(days_ago: float) -> str:
    return (datetime.now(UTC) - timedelta(days=days_ago)).isoformat()


def _push_responses(server: OffersServer, answers: list[tuple[str, str | None, str, float]]) -> None:
    """(offer, queue, response, days ago), pushed by an agent through the sync push."""
    agent = Mirror(server.client("agent"))
    agent.subscribe("ref")
    agent.pull_all()
    mutations: list[dict[str, Any]] = []
    for offer, queue, response, days in answers:
        values: dict[str, Any] = {
            "customer_id": server.catalog.customer["c5"],
            "offer_id": server.catalog.offer[offer],
            "response": response,
            "channel": "phone",
            "at": _at(days),
        }
        if queue is not None:
            values["queue_id"] = server.queue[queue]
        mutations.append(agent.mutation("offer_response", new_id(), "append", values))
    assert [r["outcome"] for r in agent.push(*mutations)] == ["applied"] * len(answers)


def _rows(model: AcceptanceModel) -> dict[str, tuple[str, ...]]:
    """name → the shown figures (responses, accepted, declined, not now, rate)."""
    return {
        str(model.index(r, 0).data()): tuple(str(model.index(r, c).data()) for c in range(1, 6))
        for r in range(model.rowCount())
    }


def _shown(qtbot: QtBot, view: OfferAcceptanceView, fetches: int) -> None:
    """Wait until the answer to the `fetches`-th request has been shown (or has failed)."""
    wait_for(qtbot, lambda: view.fetches == fetches and not view.loading)


def test_the_supervisor_sees_the_pushed_responses_per_offer_and_queue_in_each_window(
    qtbot: QtBot, offers_server: OffersServer, desk_for: Any
) -> None:
    desk: Desk = desk_for("supervisor")
    view = OfferAcceptanceView(desk.ctx)
    qtbot.addWidget(view)
    assert view.fetches == 0  # nothing is asked for before the view is shown
    view.resize(1200, 380)
    view.show()
    qtbot.waitExposed(view)
    _shown(qtbot, view, 1)
    assert view.message.text() == "No offer responses in the last 30 days."
    assert view.offer_model.rowCount() == 0 and view.queue_model.rowCount() == 0

    _push_responses(
        offers_server,
        [
            ("mesh", "sales", "accepted", 1),
            ("mesh", "sales", "declined", 2),
            ("mesh", "retention", "accepted", 3),
            ("mesh", None, "not_now", 4),
            ("tv", "sales", "declined", 8),
            ("tv", "retention", "not_now", 29),
            ("fan", None, "accepted", 10),
            ("fan", "sales", "accepted", 45),  # only in the 90-day window
            ("tv", "retention", "accepted", 60),  # only in the 90-day window
        ],
    )
    with qtbot.waitSignal(view.reportShown, timeout=120_000):
        qtbot.mouseClick(view.refresh_button, Qt.MouseButton.LeftButton)
    assert view.report is not None and view.report.days == 30
    assert _rows(view.offer_model) == {
        "Offer mesh": ("4", "2", "1", "1", "50.0 %"),
        "Offer tv": ("2", "0", "1", "1", "0.0 %"),
        "Offer fan": ("1", "1", "0", "0", "100.0 %"),
    }
    assert _rows(view.queue_model) == {
        "Sales": ("3", "1", "2", "0", "33.3 %"),
        "Retention": ("2", "1", "0", "1", "50.0 %"),
        "no queue": ("2", "1", "0", "1", "50.0 %"),
    }
    # most responses first (the header's default order), ties by name; "no queue" has no id
    assert list(zip(_column(view.queue_model, 0), _column(view.queue_model, 0, KEY_ROLE), strict=True)) == [
        ("Sales", offers_server.queue["sales"]),
        ("no queue", ""),
        ("Retention", offers_server.queue["retention"]),
    ]
    assert "7 responses, 3 accepted (42.9 %)" in view.message.text()

    # the window selector changes the query
    with qtbot.waitSignal(view.reportShown, timeout=120_000):
        view.window_box.setCurrentIndex(view.window_box.findData(7))
    assert view.report is not None and view.report.days == 7
    assert _rows(view.offer_model) == {"Offer mesh": ("4", "2", "1", "1", "50.0 %")}
    with qtbot.waitSignal(view.reportShown, timeout=120_000):
        view.window_box.setCurrentIndex(view.window_box.findData(90))
    assert view.report is not None and view.report.days == 90
    assert _rows(view.offer_model)["Offer fan"] == ("2", "2", "0", "0", "100.0 %")
    assert _rows(view.offer_model)["Offer tv"] == ("3", "1", "1", "1", "33.3 %")
    assert "9 responses, 5 accepted (55.6 %)" in view.message.text()

    # the server goes away: the figures stay, and the view says they are stale
    shown = _rows(view.offer_model)
    desk.server_down()
    with qtbot.waitSignal(view.loadFailed, timeout=120_000):
        qtbot.mouseClick(view.refresh_button, Qt.MouseButton.LeftButton)
    assert view.stale
    assert "the server cannot be reached" in view.message.text()
    assert "as of" in view.message.text() and "may be out of date" in view.message.text()
    assert _rows(view.offer_model) == shown

    desk.server_up()
    with qtbot.waitSignal(view.reportShown, timeout=120_000):
        qtbot.mouseClick(view.refresh_button, Qt.MouseButton.LeftButton)
    assert not view.stale and "may be out of date" not in view.message.text()
    view.hide()
    assert not view.refresh_timer.isActive()


def test_an_agent_is_told_the_report_is_for_supervisors(qtbot: QtBot, desk_for: Any) -> None:
    desk: Desk = desk_for("agent")
    view = OfferAcceptanceView(desk.ctx)
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.loadFailed, timeout=120_000):
        view.fetch()
    assert view.message.text() == "Offer acceptance is for supervisors and admins."
    assert not view.stale and view.offer_model.rowCount() == 0


def test_the_dock_loads_the_report_only_when_its_tab_is_first_shown(qtbot: QtBot, desk_for: Any) -> None:
    desk: Desk = desk_for("supervisor")
    window = QMainWindow()
    central = QWidget(window)
    QVBoxLayout(central)
    window.setCentralWidget(central)
    qtbot.addWidget(window)
    parts = attach_supervisor(window, desk.ctx)
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    wait_for(qtbot, lambda: parts.panel is not None and parts.panel.applied >= 1)
    acceptance = parts.acceptance
    assert acceptance is not None and parts.tabs is not None
    assert [parts.tabs.tabText(i) for i in range(parts.tabs.count())] == [
        "Queues and agents",
        "Offer acceptance",
    ]
    assert acceptance.fetches == 0 and not acceptance.refresh_timer.isActive()
    with qtbot.waitSignal(acceptance.reportShown, timeout=120_000):
        assert parts.show_acceptance() is acceptance
    assert acceptance.fetches == 1 and acceptance.refresh_timer.isActive()
    # the periodic refresh (its tick, without waiting minutes for it): one request, never two at once
    with qtbot.waitSignal(acceptance.reportShown, timeout=120_000):
        acceptance.refresh_timer.timeout.emit()
        acceptance.refresh_timer.timeout.emit()
    assert acceptance.fetches == 2
    assert parts.panel is not None and not parts.panel.poll_timer.isActive()  # the hidden tab rests
    parts.tabs.setCurrentIndex(0)
    assert not acceptance.refresh_timer.isActive() and parts.panel.poll_timer.isActive()
    parts.tabs.setCurrentIndex(1)
    assert acceptance.refresh_timer.isActive()
    assert acceptance.fetches == 2  # shown again: no load until Refresh or the timer
    window.close()
