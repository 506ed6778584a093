"""The agent's path through the real GUI against the real server: sign in, let the cache prime,
find a customer by name, by a phone typed in national format and by case number in the search
box, open it, see every channel in its timeline and filter by one."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop.domain import CHANNELS
from desktop.views.customer.screen import CustomerScreen
from desktop.views.search.box import SearchBox
from desktop.views.search.results_model import CUSTOMER_ID_ROLE
from server.db.engine import Database
from server.sync.changes import ChangeWriter
from tests.gui.conftest import GuiServer, wait_for
from tests.gui.test_shell import ShellFactory, first_sync_done, make_shell, paths, signed_in_window  # noqa: F401

pytestmark = [pytest.mark.gui, pytest.mark.usefixtures("keyring_file")]

PHONE_E164 = "+442079460958"
PHONE_NATIONAL = "020 7946 0958"


def _give_ada_a_phone_and_every_channel(server: GuiServer) -> str:
    ada = server.seed.customer_ids[0]
    now = datetime.now(UTC)
    db = Database(server.db_url)
    try:
        with db.write() as conn:
            writer = ChangeWriter(conn)
            writer.insert(
                "contact_point",
                {"id": str(uuid.uuid4()), "customer_id": ada, "kind": "phone", "value": PHONE_E164},
            )
            for n, channel in enumerate(CHANNELS):
                writer.insert(
                    "interaction",
                    {
                        "id": str(uuid.uuid4()),
                        "customer_id": ada,
                        "channel": channel,
                        "occurred_at": (now - timedelta(hours=n)).isoformat(),
                        "summary": f"about the router by {channel}",
                        "queue_id": server.seed.data.queue_ids[0],
                        "case_id": server.seed.case_id,
                    },
                )
            writer.notify()
    finally:
        db.dispose()
    return ada


def _search(qtbot: QtBot, box: SearchBox, text: str) -> list[str]:
    box.edit.clear()
    qtbot.keyClicks(box.edit, text)
    wait_for(qtbot, lambda: box.model.rowCount() > 0 and box.model.query == text, timeout_ms=30_000)
    return [str(box.model.index(r, 0).data(CUSTOMER_ID_ROLE)) for r in range(box.model.rowCount())]


def test_find_open_and_filter_a_customer(
    qtbot: QtBot,
    make_shell: ShellFactory,  # noqa: F811 (the imported fixture)
    gui_server: GuiServer,
) -> None:
    ada = _give_ada_a_phone_and_every_channel(gui_server)
    shell = make_shell()
    window = signed_in_window(qtbot, shell)
    first_sync_done(qtbot, shell)
    box = window.search
    assert isinstance(box, SearchBox)

    assert _search(qtbot, box, "Ada Lov")[0] == ada
    assert _search(qtbot, box, PHONE_NATIONAL) == [ada]
    assert _search(qtbot, box, "CS-1")[0] == ada
    qtbot.keyClick(box.edit, Qt.Key.Key_Return)  # the first (highlighted) result opens

    assert window.tabs is not None
    wait_for(qtbot, lambda: isinstance(window.tabs.current_screen(), CustomerScreen))  # type: ignore[union-attr]
    screen = window.tabs.current_screen()
    assert isinstance(screen, CustomerScreen) and screen.customer_id == ada
    timeline = screen.timeline
    wait_for(qtbot, lambda: timeline.model.interaction_count == len(CHANNELS), timeout_ms=30_000)
    assert all(chip.isEnabled() and chip.text().endswith(" 1") for chip in timeline.chips.values())

    for channel, chip in timeline.chips.items():  # only "email" stays on
        if channel != "email":
            qtbot.mouseClick(chip, Qt.MouseButton.LeftButton)
    wait_for(qtbot, lambda: timeline.model.interaction_count == 1, timeout_ms=30_000)
    assert timeline.selected_channels() == frozenset({"email"})
