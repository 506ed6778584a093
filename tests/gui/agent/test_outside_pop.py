"""Screen pop from outside the app: `liaison pop --phone` and a `liaison://pop` URL, each run as a
real subprocess, reach the instance listening for the profile (a `QLocalServer` in this process),
which acknowledges; a hostile request never reaches the window; with the real signed-in window the
number pops the customer."""

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from desktop.pop_cli import EXIT_BAD_INPUT, EXIT_NO_INSTANCE, MAX_LINE, endpoint
from desktop.services.settings import Paths
from desktop.views.instance import InstanceServer
from tests.gui.agent.world import ADA_PHONE_NATIONAL, give_phones
from tests.gui.conftest import ROOT, GuiServer, wait_for
from tests.gui.test_shell import ShellFactory, first_sync_done, refused_kept_sign_in, signed_in_window

pytestmark = pytest.mark.gui
SUBPROCESS_TIMEOUT_S = 180


def _liaison(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "desktop", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def instance(tmp_path: Path) -> Iterator[tuple[InstanceServer, Path]]:
    profile = tmp_path / "profile"
    server = InstanceServer(profile / "data")
    assert server.listen()
    yield server, profile
    server.close()


def test_liaison_pop_reaches_the_running_instance(
    qtbot: QtBot, instance: tuple[InstanceServer, Path]
) -> None:
    server, profile = instance
    with qtbot.waitSignal(server.popRequested, timeout=SUBPROCESS_TIMEOUT_S * 1000) as popped:
        process = _liaison("pop", "--phone", "+44 20 7946 0958", "--profile", str(profile))
    assert popped.args == ["+44 20 7946 0958"]
    wait_for(qtbot, lambda: process.poll() is not None)
    _out, err = process.communicate(timeout=SUBPROCESS_TIMEOUT_S)
    assert process.returncode == 0, err


def test_a_liaison_url_reaches_the_running_instance(
    qtbot: QtBot, instance: tuple[InstanceServer, Path]
) -> None:
    server, profile = instance
    with qtbot.waitSignal(server.popRequested, timeout=SUBPROCESS_TIMEOUT_S * 1000) as popped:
        process = _liaison("liaison://pop?phone=020%207946%200958", "--profile", str(profile))
    assert popped.args == ["020 7946 0958"]
    wait_for(qtbot, lambda: process.poll() is not None)
    process.communicate(timeout=SUBPROCESS_TIMEOUT_S)
    assert process.returncode == 0


def test_a_hostile_url_is_refused_before_anything_is_sent(
    qtbot: QtBot, instance: tuple[InstanceServer, Path]
) -> None:
    server, profile = instance
    process = _liaison("liaison://pop?phone=1234567&x=%3Cscript%3E", "--profile", str(profile))
    wait_for(qtbot, lambda: process.poll() is not None)
    _out, err = process.communicate(timeout=SUBPROCESS_TIMEOUT_S)
    assert process.returncode == EXIT_BAD_INPUT and "exactly one parameter" in err
    assert server.handled == 0


def test_a_malformed_request_on_the_socket_gets_an_error_and_no_pop(
    qtbot: QtBot, instance: tuple[InstanceServer, Path]
) -> None:
    server, profile = instance
    popped: list[str] = []
    server.popRequested.connect(popped.append)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(endpoint(profile / "data"))
        sock.sendall(b'{"pop": {"phone": "12345; rm -rf /"}}\n')
        wait_for(qtbot, lambda: server.handled == 1)
        sock.settimeout(SUBPROCESS_TIMEOUT_S)
        answer = sock.recv(MAX_LINE)
    assert b'"ok": false' in answer and b"only digits" in answer
    assert popped == []


def test_no_running_instance_exits_non_zero_with_a_message(qtbot: QtBot, tmp_path: Path) -> None:
    process = _liaison("pop", "--phone", "+442079460958", "--profile", str(tmp_path / "nobody"))
    wait_for(qtbot, lambda: process.poll() is not None)
    _out, err = process.communicate(timeout=SUBPROCESS_TIMEOUT_S)
    assert process.returncode == EXIT_NO_INSTANCE and "not running for this profile" in err


@pytest.mark.usefixtures("keyring_file")
def test_liaison_pop_pops_the_customer_in_the_signed_in_window(
    qtbot: QtBot,
    make_shell: ShellFactory,
    gui_server: GuiServer,
    paths: Paths,
) -> None:
    world = give_phones(gui_server)
    shell = make_shell()
    window = signed_in_window(qtbot, shell)
    first_sync_done(qtbot, shell)
    assert shell.instance is not None
    process = _liaison("pop", "--phone", ADA_PHONE_NATIONAL, "--profile", str(paths.data_dir.parent))
    wait_for(qtbot, lambda: window.tabs is not None and window.tabs.customer_ids() == [world.ada])
    wait_for(qtbot, lambda: process.poll() is not None)
    _out, err = process.communicate(timeout=SUBPROCESS_TIMEOUT_S)
    assert process.returncode == 0, err
    desk = window.agent_desk
    assert desk is not None and desk.contacts == {} and desk.contact_bar.contact is None  # no call controls


@pytest.mark.usefixtures("keyring_file")
def test_a_window_shown_from_the_cache_takes_pops_while_its_kept_sign_in_is_refused(
    qtbot: QtBot,
    make_shell: ShellFactory,
    gui_server: GuiServer,
    paths: Paths,
) -> None:
    """The sign-in dialog over the window (the server refused the kept token) does not stop the
    phone system's pops: they open the customer from the cache."""
    world = give_phones(gui_server)
    shell = refused_kept_sign_in(qtbot, make_shell, gui_server)
    window = shell.window
    assert window is not None and shell.session is None and shell.instance is not None
    process = _liaison("pop", "--phone", ADA_PHONE_NATIONAL, "--profile", str(paths.data_dir.parent))
    wait_for(qtbot, lambda: window.tabs is not None and window.tabs.customer_ids() == [world.ada])
    wait_for(qtbot, lambda: process.poll() is not None)
    _out, err = process.communicate(timeout=SUBPROCESS_TIMEOUT_S)
    assert process.returncode == 0, err
    assert shell.session is None  # popped with nobody signed in yet: from the cache alone


def test_a_liaison_link_the_os_opens_in_the_running_app_pops_it(
    qtbot: QtBot, instance: tuple[InstanceServer, Path]
) -> None:
    """macOS hands a running app the URL as a file-open event sent to the application, not a
    command line: `LiaisonApplication` hands a pop link to the instance server, as the shell
    connects them; other files pass through unhandled."""
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QFileOpenEvent
    from PySide6.QtWidgets import QApplication

    from desktop.views.application import LiaisonApplication

    server, _profile = instance
    app = QApplication.instance()
    assert isinstance(app, LiaisonApplication)  # tests run the desktop's application (conftest)
    app.popLinkOpened.connect(server.open_link)
    try:
        with qtbot.waitSignal(server.popRequested) as popped:
            handled = QApplication.sendEvent(app, QFileOpenEvent(QUrl("liaison://pop?phone=%2B442079460958")))
        assert handled and popped.args == ["+442079460958"]
        # a hostile link is refused and pops nothing; another file is not the app's to handle
        with qtbot.assertNotEmitted(server.popRequested):
            assert QApplication.sendEvent(app, QFileOpenEvent(QUrl("liaison://pop?phone=1;rm%20-rf")))
            assert not QApplication.sendEvent(app, QFileOpenEvent(QUrl.fromLocalFile("/tmp/report.pdf")))
    finally:
        app.popLinkOpened.disconnect(server.open_link)
