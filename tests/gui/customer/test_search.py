"""The global search box: results as you type from the cache (name, a phone in national format, a
case number), keyboard navigation, and the server's search when the cache is not primed."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from desktop.services.api import ApiClient
from desktop.services.api_http import ApiConfig
from desktop.services.store import Cache, open_cache
from desktop.views.context import ChangeHub, ViewContext
from desktop.views.search.box import SearchBox
from desktop.views.search.results_model import CUSTOMER_ID_ROLE, KIND_ROLE, Result, ResultsModel
from desktop.views.tasks import TaskRunner
from server.db.bootstrap import initialize
from server.db.engine import Database
from server.sync.changes import ChangeWriter
from server.sync.terms import refresh_terms
from tests.gui.customer.sample import CUSTOMER, DNC_CUSTOMER
from tests.support.demo import create_demo_data
from tests.support.live import start_live_server

# the offscreen platform cannot raise the results window (a frameless tool-tip window): known noise
pytestmark = [pytest.mark.gui, pytest.mark.qt_log_ignore("This plugin does not support raise")]


def choose(qtbot: QtBot, box: SearchBox, query: str) -> str:
    box.edit.clear()
    qtbot.keyClicks(box.edit, query)
    with qtbot.waitSignal(box.customerChosen) as chosen:
        qtbot.keyClick(box.edit, Qt.Key.Key_Return)
    return str(chosen.args[0])


def test_results_model_passes_the_model_tester(qtmodeltester: ModelTester) -> None:
    model = ResultsModel()
    model.set_results(
        "ad", [Result("c1", "Ada", None, "AC-1"), Result("c2", "Adam", "Acme", "")], offer_server=True
    )
    qtmodeltester.check(model)
    assert model.index(2, 0).data(KIND_ROLE) == "server_action"


def test_search_by_name_phone_and_case_number(qtbot: QtBot, ctx: ViewContext) -> None:
    box = SearchBox(ctx)
    qtbot.addWidget(box)
    box.show()
    assert choose(qtbot, box, "okonkwo") == CUSTOMER
    assert box.edit.text() == "" and not box.popup.isVisible()
    assert choose(qtbot, box, "020 7946 0958") == CUSTOMER  # national format of +44 20 7946 0958
    assert choose(qtbot, box, "020-1234567") == DNC_CUSTOMER  # a Dutch number, nationally
    assert choose(qtbot, box, "CS-8R4M20") == CUSTOMER
    assert choose(qtbot, box, "WS-5588") == CUSTOMER  # an external key


def test_search_works_before_the_caches_engines_are_open(qtbot: QtBot, cache: Cache) -> None:
    """The window's search box from its first paint: the cache as `store.quick_open` hands it over
    (SQLAlchemy not opened yet) answers through driver connections, and choosing a customer opens
    nothing more."""
    cache.close()
    early = Cache(cache.path, None, engines=False)
    tasks = TaskRunner(lambda: early.writer, inline=True)
    try:
        ctx = ViewContext(cache=early, tasks=tasks, hub=ChangeHub(), request_sync=lambda: None)
        box = SearchBox(ctx)
        qtbot.addWidget(box)
        box.show()
        assert choose(qtbot, box, "okonkwo") == CUSTOMER
        assert choose(qtbot, box, "020 7946 0958") == CUSTOMER
        assert not early.engines_open
    finally:
        tasks.shutdown()
        early.close()


def test_keyboard_navigation(qtbot: QtBot, ctx: ViewContext) -> None:
    box = SearchBox(ctx)
    qtbot.addWidget(box)
    box.show()
    qtbot.keyClicks(box.edit, "AC-0")  # every sample customer's account number
    assert box.model.rowCount() == 3 and box.popup.isVisible()
    assert box.current_row() == 0
    qtbot.keyClick(box.edit, Qt.Key.Key_Down)
    qtbot.keyClick(box.edit, Qt.Key.Key_Down)
    qtbot.keyClick(box.edit, Qt.Key.Key_Down)  # stays on the last row
    assert box.current_row() == 2
    qtbot.keyClick(box.edit, Qt.Key.Key_Up)
    second = box.model.index(1, 0).data(CUSTOMER_ID_ROLE)
    with qtbot.waitSignal(box.customerChosen) as chosen:
        qtbot.keyClick(box.edit, Qt.Key.Key_Enter)
    assert chosen.args == [second]
    qtbot.keyClicks(box.edit, "AC-0")
    qtbot.keyClick(box.edit, Qt.Key.Key_Escape)
    assert not box.popup.isVisible()
    box.edit.setText("zzzz nobody")
    assert box.model.rowCount() == 0 and box.status.text() == "Nothing in the cache matches."


@pytest.fixture
def server_with_customer(tmp_path: Path) -> Iterator[tuple[str, str]]:
    url = f"sqlite:///{tmp_path / 'server.db'}"
    db = Database(url)
    try:
        initialize(db)
        data = create_demo_data(url)
        with db.write() as conn:
            ChangeWriter(conn).insert(
                "customer",
                {
                    "id": "20000000-0000-4000-8000-000000000001",
                    "display_name": "Ottoline Farquharson",
                    "territory_id": data.territory_ids[0],
                    "account_number": "AC-7777-0001",
                },
            )
            refresh_terms(conn, "20000000-0000-4000-8000-000000000001")  # what a push does after a write
    finally:
        db.dispose()
    live = start_live_server(url)
    yield live.url, "20000000-0000-4000-8000-000000000001"
    live.stop()


def test_server_search_when_the_cache_is_not_primed(
    qtbot: QtBot, tmp_path: Path, server_with_customer: tuple[str, str]
) -> None:
    url, customer_id = server_with_customer
    cache, _ = open_cache(tmp_path / "empty.db", None)
    api = ApiClient(ApiConfig(base_url=url), None)
    tasks = TaskRunner(cache.writer, inline=True)
    try:
        api.login("agent", "demo")
        ctx = ViewContext(cache=cache, tasks=tasks, hub=ChangeHub(), request_sync=lambda: None, api=api)
        box = SearchBox(ctx)
        qtbot.addWidget(box)
        box.show()
        qtbot.keyClicks(box.edit, "farquh")
        assert box.model.rowCount() == 1 and box.model.index(0, 0).data(KIND_ROLE) == "server_action"
        qtbot.waitUntil(  # the network lane answers on the GUI thread: success, nothing, or a failure
            lambda: box.model.index(0, 0).data(KIND_ROLE) != "server_action", timeout=120_000
        )
        assert box.status.text() == ""
        assert box.model.index(0, 0).data() == "Ottoline Farquharson"
        assert "from the server" in box.model.results[0].detail()
        with qtbot.waitSignal(box.customerChosen) as chosen:
            qtbot.keyClick(box.edit, Qt.Key.Key_Return)
        assert chosen.args == [customer_id]
    finally:
        tasks.shutdown()
        api.close()
        cache.close()
