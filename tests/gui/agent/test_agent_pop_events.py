"""The agent's window against the real server, with the contact-centre events handed to the window
as the sync bridge hands them (`ChangeHub.server_event`): the caller's customer pops from the cache,
a shared number shows the ranked chooser, an unknown number opens "new customer" with the number
after the server was asked, and a malformed event is ignored."""

import logging

import pytest
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from desktop.services.api import ServerEvent
from desktop.views.agent.chooser import CUSTOMER_ID_ROLE
from desktop.views.agent.desk import AgentDesk
from desktop.views.main_window import MainWindow
from tests.gui.agent.world import (
    ADA_PHONE_NATIONAL,
    SHARED_PHONE,
    UNKNOWN_PHONE,
    AgentWorld,
    give_phones,
    incoming,
)
from tests.gui.conftest import GuiServer, wait_for
from tests.gui.test_shell import ShellFactory, first_sync_done, signed_in_window

pytestmark = [pytest.mark.gui, pytest.mark.usefixtures("keyring_file")]


def _agent_window(
    qtbot: QtBot, make_shell: ShellFactory, server: GuiServer
) -> tuple[MainWindow, AgentDesk, AgentWorld]:
    world = give_phones(server)
    shell = make_shell()
    window = signed_in_window(qtbot, shell)
    first_sync_done(qtbot, shell)
    desk = window.agent_desk
    assert isinstance(desk, AgentDesk)
    return window, desk, world


def _send(window: MainWindow, name: str, data: dict[str, object]) -> None:
    assert window.ctx is not None
    window.ctx.hub.server_event.emit(ServerEvent(name, data, "1"))


def test_an_incoming_contact_pops_the_callers_customer_and_rings_the_bar(
    qtbot: QtBot,
    make_shell: ShellFactory,
    gui_server: GuiServer,
) -> None:
    window, desk, world = _agent_window(qtbot, make_shell, gui_server)
    assert window.tabs is not None
    # the national form as the phone system has it, and its E.164 form as the server computed it
    _send(
        window, "incoming_contact", incoming("c-1", ADA_PHONE_NATIONAL, world.queue_id, e164="+442079460958")
    )
    assert window.tabs.customer_ids() == [world.ada]  # from the cache, at once
    assert window.tabs.currentIndex() == 0
    bar = desk.contact_bar
    assert (
        bar.contact is not None and bar.caller.text() == ADA_PHONE_NATIONAL and bar.queue.text() == "Queue 1"
    )
    assert bar.answer_button.isVisible() and bar.answer_button.isEnabled() and not bar.end_button.isVisible()
    assert bar.phase.text().startswith("Ringing")
    assert desk.contacts["c-1"].customer_id == world.ada


def test_a_shared_number_shows_the_chooser_ranked_by_open_cases(
    qtbot: QtBot,
    make_shell: ShellFactory,
    gui_server: GuiServer,
    qtmodeltester: ModelTester,
) -> None:
    window, desk, world = _agent_window(qtbot, make_shell, gui_server)
    assert window.tabs is not None
    _send(window, "incoming_contact", incoming("c-2", SHARED_PHONE, world.queue_id))
    chooser = desk.popper.chooser
    assert chooser is not None and chooser.isVisible()
    qtmodeltester.check(chooser.model)
    ids = [chooser.model.index(r, 0).data(CUSTOMER_ID_ROLE) for r in range(chooser.model.rowCount())]
    assert ids == [world.ada, world.grace]  # Ada has the open case
    assert "1 open case" in str(chooser.model.index(0, 0).data())
    assert window.tabs.count() == 0  # nothing opened before the agent chooses
    chooser.view.setCurrentIndex(chooser.model.index(1, 0))
    chooser.open_button.click()
    assert window.tabs.customer_ids() == [world.grace]
    assert desk.contacts["c-2"].customer_id == world.grace
    assert desk.popper.chooser is None


def test_an_unknown_number_opens_new_customer_with_the_number_after_asking_the_server(
    qtbot: QtBot,
    make_shell: ShellFactory,
    gui_server: GuiServer,
) -> None:
    window, desk, world = _agent_window(qtbot, make_shell, gui_server)
    _send(window, "incoming_contact", incoming("c-3", UNKNOWN_PHONE, world.queue_id))
    assert window.new_customer_dialog is None  # the cache knows nobody: the server is asked first
    wait_for(qtbot, lambda: window.new_customer_dialog is not None)
    dialog = window.new_customer_dialog
    assert dialog is not None
    assert dialog.phone_edit.text() == UNKNOWN_PHONE
    last = desk.popper.last
    assert last is not None and last.server_checked and last.lookup_error is None and last.kind == "unknown"
    dialog.reject()


def test_a_malformed_event_is_logged_and_ignored(
    qtbot: QtBot,
    make_shell: ShellFactory,
    gui_server: GuiServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    window, desk, world = _agent_window(qtbot, make_shell, gui_server)
    with caplog.at_level(logging.WARNING, logger="desktop.views.agent.desk"):
        _send(window, "incoming_contact", {"contact_id": "c-4", "phone": SHARED_PHONE})
    assert "does not fit IncomingContact" in caplog.text and SHARED_PHONE not in caplog.text
    assert desk.contacts == {} and desk.contact_bar.contact is None
    # the next good event still pops
    _send(window, "incoming_contact", incoming("c-5", "+442079460958", world.queue_id))
    assert window.tabs is not None and window.tabs.customer_ids() == [world.ada]
