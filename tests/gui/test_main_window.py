"""The main window: title and status bar; `--screenshot` renders it to a PNG from a real process."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop.views.main_window import MainWindow

pytestmark = pytest.mark.gui

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_status_bar_shows_server_and_user(qtbot: QtBot) -> None:
    window = MainWindow("http://127.0.0.1:8765", "agent")
    qtbot.addWidget(window)
    with qtbot.waitExposed(window):
        window.show()

    assert window.windowTitle() == "Liaison Desk"
    assert window.server_label.text() == "Server: http://127.0.0.1:8765"
    assert window.user_label.text() == "User: agent"
    assert window.server_label.parent() is window.statusBar()
    assert window.user_label.parent() is window.statusBar()


def test_status_bar_without_user_says_not_signed_in(qtbot: QtBot) -> None:
    window = MainWindow("http://example.test", None)
    qtbot.addWidget(window)

    assert window.user_label.text() == "User: not signed in"


def test_screenshot_writes_a_png(tmp_path: Path, qapp: QApplication) -> None:
    target = tmp_path / "shots" / "x.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    args = ["--screenshot", str(target), "--server", "http://127.0.0.1:1", "--username", "agent"]
    args += ["--profile", str(tmp_path / "profile")]

    done = subprocess.run(
        [sys.executable, "-m", "desktop", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert target.stat().st_size > 0
    assert target.read_bytes()[:8] == PNG_SIGNATURE
    image = QImage(str(target))
    assert not image.isNull()
    assert image.width() > 0
    assert image.height() > 0
    assert "agent" in (tmp_path / "profile" / "log" / "desktop.log").read_text()


@pytest.mark.skipif(sys.platform == "win32", reason="no SIGTERM on Windows")
def test_sigterm_quits_the_desktop_cleanly(tmp_path: Path, qtbot: QtBot) -> None:
    log_file = tmp_path / "profile" / "log" / "desktop.log"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    args = ["--server", "http://127.0.0.1:1", "--username", "agent", "--profile", str(tmp_path / "profile")]
    with subprocess.Popen([sys.executable, "-m", "desktop", *args], env=env) as proc:
        try:
            qtbot.waitUntil(lambda: log_file.exists() and "started" in log_file.read_text(), timeout=60_000)
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=60) == 0
        finally:
            proc.kill()
