"""The sign-in dialog against the real server: sign in (kept in the keyring), a wrong password, and
an unreachable server with and without an offline cache."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop.services.credentials import SERVICE, account_name
from desktop.services.session import Session, SignInRequest, open_session
from desktop.services.settings import Paths, resolve_paths
from desktop.views.dialogs.signin import SignInDialog
from desktop.views.tasks import TaskRunner
from tests.gui.conftest import GuiServer, wait_for

pytestmark = [pytest.mark.gui, pytest.mark.usefixtures("keyring_file")]


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    return resolve_paths(tmp_path / "profile").ensure()


@pytest.fixture
def tasks() -> Iterator[TaskRunner]:
    runner = TaskRunner(None)
    yield runner
    runner.shutdown()


@pytest.fixture
def sessions() -> Iterator[list[Session]]:
    opened: list[Session] = []
    yield opened
    for session in opened:
        session.close()


def _dialog(
    qtbot: QtBot, tasks: TaskRunner, paths: Paths, server_url: str, sessions: list[Session]
) -> SignInDialog:
    def opener(request: SignInRequest) -> Session:
        session = open_session(paths, request)
        sessions.append(session)
        return session

    dialog = SignInDialog(tasks, opener, server_url=server_url)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def _type(qtbot: QtBot, dialog: SignInDialog, username: str, password: str, *, keep: bool) -> None:
    dialog.username.clear()
    qtbot.keyClicks(dialog.username, username)
    qtbot.keyClicks(dialog.password, password)
    if keep != dialog.keep.isChecked():
        qtbot.keyClick(dialog.keep, Qt.Key.Key_Space)
    assert dialog.keep.isChecked() == keep


def _keyring_entries(keyring_file: Path) -> dict[str, str]:
    return json.loads(keyring_file.read_text(encoding="utf-8")) if keyring_file.exists() else {}


def test_sign_in_keeps_the_refresh_token_in_the_keyring_and_never_the_password(
    qtbot: QtBot,
    gui_server: GuiServer,
    paths: Paths,
    tasks: TaskRunner,
    sessions: list[Session],
    tmp_path: Path,
) -> None:
    dialog = _dialog(qtbot, tasks, paths, gui_server.url, sessions)
    _type(qtbot, dialog, "agent", "demo", keep=True)

    with qtbot.waitSignal(dialog.signedIn, timeout=120_000) as signed:
        qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)

    session: Session = signed.args[0]
    assert session.online
    assert session.user is not None
    assert session.user.username == "agent"
    assert session.notice is None
    assert session.cache_path == paths.data_dir / "cache.db"
    assert session.cache.encrypted
    assert not dialog.isVisible()
    assert dialog.password.text() == ""
    entries = _keyring_entries(tmp_path / "keyring.json")
    token_key = f"{SERVICE}\t{account_name(gui_server.url, 'agent')}"
    assert entries.get(token_key)
    assert "demo" not in entries.values()
    log_text = "".join(p.read_text() for p in paths.log_dir.glob("*.log")) if paths.log_dir.exists() else ""
    assert entries[token_key] not in log_text


def test_a_wrong_password_says_so_and_keeps_the_dialog_open(
    qtbot: QtBot, gui_server: GuiServer, paths: Paths, tasks: TaskRunner, sessions: list[Session]
) -> None:
    dialog = _dialog(qtbot, tasks, paths, gui_server.url, sessions)
    _type(qtbot, dialog, "agent", "not the password", keep=False)

    with qtbot.assertNotEmitted(dialog.signedIn):
        qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)
        wait_for(qtbot, dialog.sign_in_button.isEnabled)

    assert dialog.message.text() == "The user name or password is not right."
    assert dialog.message.isVisible()
    assert dialog.isVisible()
    assert dialog.password.text() == ""
    assert sessions == []


def test_empty_fields_are_asked_for_before_anything_is_sent(
    qtbot: QtBot, paths: Paths, tasks: TaskRunner, sessions: list[Session]
) -> None:
    dialog = _dialog(qtbot, tasks, paths, "http://127.0.0.1:1", sessions)
    qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)
    assert dialog.message.text() == "Enter the server address, your user name and your password."
    assert dialog.sign_in_button.isEnabled()


def test_server_down_without_a_cache_explains_and_with_a_cache_starts_offline(
    qtbot: QtBot, gui_server: GuiServer, paths: Paths, tasks: TaskRunner, sessions: list[Session]
) -> None:
    gui_server.stop()
    dialog = _dialog(qtbot, tasks, paths, gui_server.url, sessions)
    _type(qtbot, dialog, "agent", "demo", keep=False)
    qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)
    wait_for(qtbot, dialog.sign_in_button.isEnabled)
    assert "cannot be reached and this computer has no offline copy yet" in dialog.message.text()
    assert gui_server.url in dialog.message.text()

    # a first, online sign-in leaves a cache behind
    gui_server.start()
    first = open_session(paths, SignInRequest(gui_server.url, "agent", "demo"))
    first.close()
    gui_server.stop()

    _type(qtbot, dialog, "agent", "demo", keep=False)
    with qtbot.waitSignal(dialog.signedIn, timeout=120_000) as signed:
        qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)
    session: Session = signed.args[0]
    assert not session.online
    assert session.user is None
    assert session.notice
    assert session.cache_path.exists()

    # back online: the password held in memory signs in, once
    gui_server.start()
    user = session.reconnect()
    assert user.username == "agent"
    assert session.online
