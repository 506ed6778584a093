"""Acceptance (issue 4): a case edited through the case editor's widgets while the server is down.

Signed in against the real server (behind the fixed-port proxy), the agent opens a customer, picks
the case in the open-cases table with a click, raises its priority with the keyboard and saves with
a click while the server is stopped: the status bar says "1 pending" and "Offline". A note typed and
added makes it "2 pending". When the server is back, the engine's retry sends both: "0 pending",
"Online", and the server's database has the new priority and the note.
"""

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from desktop.views.customer.cases_model import NUMBER
from desktop.views.customer.screen import CustomerScreen
from tests.gui import test_shell
from tests.gui.conftest import GuiServer, wait_for
from tests.gui.test_shell import ShellFactory, first_sync_done, signed_in_window

pytestmark = [pytest.mark.gui, pytest.mark.usefixtures("keyring_file")]

#: the shell's own tests' fixtures: a profile's paths and signed-in shells that close after the test
paths = test_shell.paths
make_shell = test_shell.make_shell

NOTE = "Customer rang back: the router still drops out at night."


def click(qtbot: QtBot, widget: QWidget) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=widget.rect().center())


def test_a_case_edited_in_the_editor_while_the_server_is_down_is_pending_then_synced(
    qtbot: QtBot, make_shell: ShellFactory, gui_server: GuiServer
) -> None:
    ada = gui_server.seed.customer_ids[0]
    case_id = gui_server.seed.case_id
    shell = make_shell()
    window = signed_in_window(qtbot, shell)
    first_sync_done(qtbot, shell)
    bar = window.status
    window.open_customer(ada)
    assert window.tabs is not None
    screen = window.tabs.current_screen()
    assert isinstance(screen, CustomerScreen)
    wait_for(qtbot, lambda: screen.cases_model.rowCount() == 1)

    gui_server.stop()

    # pick the case with a click on its row in the open-cases table
    table = screen.cases_view.table
    row = screen.cases_model.row_of(case_id)
    cell = table.visualRect(screen.cases_model.index(row, NUMBER))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=cell.center())
    editor = screen.case_editor
    assert editor.case_id == case_id
    assert editor.priority_box.currentData() == "normal"

    # raise the priority with the keyboard, then save with a click
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    editor.priority_box.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.keyClick(editor.priority_box, Qt.Key.Key_Down)
    assert editor.priority_box.currentData() == "high"
    click(qtbot, editor.save_button)
    wait_for(
        qtbot, lambda: bar.pending_label.text() == "1 pending" and bar.connection_label.text() == "Offline"
    )
    assert bar.pending_label.property("active") == "true"
    assert editor.priority_box.currentData() == "high"  # the local edit shows at once

    # and a note, typed and added
    qtbot.keyClicks(editor.note_edit, NOTE)
    click(qtbot, editor.add_note_button)
    wait_for(qtbot, lambda: bar.pending_label.text() == "2 pending")
    assert editor.note_edit.toPlainText() == ""
    assert NOTE in editor.notes.toPlainText()
    assert gui_server.query("SELECT priority FROM support_case WHERE id = :id", id=case_id) == [("normal",)]

    gui_server.start()
    wait_for(
        qtbot, lambda: bar.pending_label.text() == "0 pending" and bar.connection_label.text() == "Online"
    )
    assert bar.pending_label.property("active") == "false"
    assert gui_server.query("SELECT priority FROM support_case WHERE id = :id", id=case_id) == [("high",)]
    assert gui_server.query("SELECT body FROM case_note WHERE case_id = :id", id=case_id) == [(NOTE,)]
    assert editor.priority_box.currentData() == "high"
