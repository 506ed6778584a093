"""The shell's everyday start from a cache opened without SQLAlchemy (`store.quick_open`).

With a kept sign-in and a current cache the window is shown from a `Cache(engines=False)`: its
search box answers from the first paint, and the shell opens the engines on the write lane once the
window has painted. When that fails, the window says so and keeps searching; a write reports the
error instead of losing the edit silently.
"""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop.app import UI_SETTINGS, Shell, ShellOptions
from desktop.services.profile_cache import cache_key, cache_path
from desktop.services.settings import Paths, resolve_paths
from desktop.services.store import apply_page, open_cache
from desktop.services.store.database import Cache
from desktop.views.main_window import MainWindow
from desktop.views.search.box import SearchBox
from tests.gui.conftest import wait_for
from tests.gui.test_shell import close
from tests.gui.test_startup_check import _customer
from tests.support.net import free_port

# the offscreen platform cannot raise the results window (a frameless tool-tip window): known noise
pytestmark = [
    pytest.mark.gui,
    pytest.mark.usefixtures("keyring_file"),
    pytest.mark.qt_log_ignore("This plugin does not support raise"),
]


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    paths = resolve_paths(tmp_path / "profile").ensure()
    cache, _ = open_cache(cache_path(paths), cache_key(paths.data_dir.parent, create=True))
    with cache:
        apply_page(cache.writer, "directory", [_customer("c1", 1, "Ada Lovelace")], "a")
    return paths


@pytest.fixture
def start(qapp: QApplication, paths: Paths) -> Iterator[Callable[[], Shell]]:
    """A kept sign-in's start, offline (nobody listens on the server's port); closed at the end."""
    shells: list[Shell] = []

    def started() -> Shell:
        server = f"http://127.0.0.1:{free_port()}"
        settings = QSettings(str(paths.data_dir / UI_SETTINGS), QSettings.Format.IniFormat)
        shell = Shell(qapp, paths, settings, ShellOptions(server_url=server, username="agent"))
        shells.append(shell)
        shell.start()
        return shell

    yield started
    for shell in shells:
        close(shell)


def _window(qtbot: QtBot, shell: Shell) -> MainWindow:
    wait_for(qtbot, lambda: shell.window is not None and shell.window.isVisible())
    assert shell.window is not None
    return shell.window


def _search(qtbot: QtBot, window: MainWindow, query: str) -> list[str]:
    box = window.search
    assert isinstance(box, SearchBox)
    box.edit.clear()
    qtbot.keyClicks(box.edit, query)
    return [box.model.index(i, 0).data() for i in range(box.model.rowCount())]


def test_the_engines_open_after_the_first_paint(qtbot: QtBot, start: Callable[[], Shell]) -> None:
    shell = start()
    window = _window(qtbot, shell)
    assert window.ctx is not None
    cache = window.ctx.cache
    assert shell.opened is not None and shell.opened.report.checked == "critical"
    assert _search(qtbot, window, "lovel")[:1] == ["Ada Lovelace"]
    wait_for(qtbot, lambda: cache.engines_open)  # on the write lane, once the window has painted


def test_engines_that_fail_to_open_are_reported_and_search_still_works(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, start: Callable[[], Shell]
) -> None:
    def refuse(_cache: Cache) -> None:
        raise OSError("the disk went away")

    monkeypatch.setattr(Cache, "open_engines", refuse)
    window = _window(qtbot, start())
    wait_for(qtbot, lambda: "could not be opened for changes" in window.notice.text())
    assert "OSError" in window.notice.text()
    assert _search(qtbot, window, "ada")[:1] == ["Ada Lovelace"]
    assert window.ctx is not None and not window.ctx.cache.engines_open
    failures: list[BaseException] = []
    window.ctx.tasks.write(lambda writer: writer, failed=failures.append)
    wait_for(qtbot, lambda: bool(failures))
    assert isinstance(failures[0], OSError)
