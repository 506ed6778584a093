"""The application shell against the real server: the status bar through an outage, starting
offline from the cache, tabs and geometry kept across a restart, shortcuts and the help overlay,
the About dialog, accessible names, themes and icons, and `--screenshot` from a real process."""

import os
import random
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QComboBox,
    QLineEdit,
    QProgressBar,
    QTabBar,
    QTabWidget,
    QToolButton,
    QWidget,
)
from pytestqt.qtbot import QtBot

from desktop.app import UI_SETTINGS, Shell, ShellOptions
from desktop.services.api import REFRESH
from desktop.services.credentials import Credentials
from desktop.services.profile_cache import cache_path
from desktop.services.session import SignInRequest, open_session
from desktop.services.settings import Paths, resolve_paths
from desktop.services.store import apply_local_edit
from desktop.views.dialogs.about import AboutDialog
from desktop.views.icons import icon, icon_names
from desktop.views.main_window import MainWindow
from desktop.views.shortcuts import SHORTCUTS
from desktop.views.theme import DARK, LIGHT, stylesheet
from tests.gui.conftest import GuiServer, wait_for
from tests.support.fault_proxy import ToxicConfig

pytestmark = [pytest.mark.gui, pytest.mark.usefixtures("keyring_file")]


class ShortBackoff(random.Random):
    """The engine's waits between retries, short and fixed (the server comes back within a test)."""

    def uniform(self, a: float, b: float) -> float:
        return a + min(b - a, 0.3)


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    return resolve_paths(tmp_path / "profile").ensure()


ShellFactory = Callable[..., Shell]


@pytest.fixture
def make_shell(qapp: QApplication, paths: Paths, gui_server: GuiServer) -> Iterator[ShellFactory]:
    shells: list[Shell] = []

    def make(*, password: str | None = "demo", keep: bool = True, **overrides: object) -> Shell:
        settings = QSettings(str(paths.data_dir / UI_SETTINGS), QSettings.Format.IniFormat)
        request = SignInRequest(gui_server.url, "agent", password, keep) if password is not None else None
        options = ShellOptions(
            server_url=gui_server.url,
            username="agent",
            auto_sign_in=request,
            engine_rng=ShortBackoff(),
        )
        for name, value in overrides.items():
            setattr(options, name, value)
        shell = Shell(qapp, paths, settings, options)
        shells.append(shell)
        shell.start()
        return shell

    yield make
    for shell in shells:
        close(shell)


def close(shell: Shell) -> None:
    """What the app does when the user closes the window: the window saves its state, then shutdown."""
    if shell.window is not None:
        shell.window.close()
    if shell.dialog is not None:
        shell.dialog.close()
    shell.shutdown()


def signed_in_window(qtbot: QtBot, shell: Shell) -> MainWindow:
    """The window once the session is open (a kept sign-in shows the window first, then signs in)."""
    wait_for(
        qtbot, lambda: shell.window is not None and shell.window.isVisible() and shell.session is not None
    )
    assert shell.window is not None
    return shell.window


def first_sync_done(qtbot: QtBot, shell: Shell) -> None:
    wait_for(
        qtbot, lambda: shell.bridge is not None and (shell.bridge.status or _never).last_success is not None
    )


class _Never:
    last_success = None


_never = _Never()


def test_status_bar_shows_a_pending_edit_while_the_server_is_down_and_synced_after(
    qtbot: QtBot, make_shell: ShellFactory, gui_server: GuiServer
) -> None:
    shell = make_shell()
    window = signed_in_window(qtbot, shell)
    first_sync_done(qtbot, shell)
    bar = window.status
    assert bar.connection_label.text() == "Online"
    assert bar.pending_label.text() == "0 pending"
    assert bar.last_sync_label.text() != "Last sync: never"

    gui_server.stop()
    ctx = window.ctx
    assert ctx is not None
    case_id = gui_server.seed.case_id
    ctx.tasks.write(
        lambda w: apply_local_edit(w, "case", case_id, "update", {"priority": "high"}),
        done=lambda changed: (ctx.hub.publish(changed), ctx.request_sync()),
    )
    wait_for(
        qtbot, lambda: bar.pending_label.text() == "1 pending" and bar.connection_label.text() == "Offline"
    )
    assert bar.pending_label.property("active") == "true"

    gui_server.start()
    wait_for(
        qtbot, lambda: bar.pending_label.text() == "0 pending" and bar.connection_label.text() == "Online"
    )
    assert gui_server.query("SELECT priority FROM support_case WHERE id = :id", id=case_id) == [("high",)]


def test_server_down_starts_offline_from_the_cache_and_says_so(
    qtbot: QtBot, make_shell: ShellFactory, gui_server: GuiServer
) -> None:
    first = make_shell(keep=False)
    signed_in_window(qtbot, first)
    first_sync_done(qtbot, first)
    close(first)
    gui_server.stop()

    shell = make_shell(keep=False)
    window = signed_in_window(qtbot, shell)
    assert shell.session is not None
    assert not shell.session.online
    assert window.notice.isVisible()
    assert "working offline" in window.notice.text()
    assert window.activity.count() == 1
    wait_for(qtbot, lambda: window.status.connection_label.text() == "Offline")
    # the cache is there: the customers synced before can be opened
    window.open_customer(gui_server.seed.customer_ids[1])
    assert window.tabs is not None
    assert window.tabs.tabText(0) == "Grace Hopper"

    gui_server.start()  # the password held in memory signs in, the engine takes over
    wait_for(qtbot, lambda: window.status.connection_label.text() == "Online")
    assert shell.session.online
    # signed in at last: the agent's parts of the window come now (an offline start had none)
    wait_for(qtbot, lambda: window.agent_desk is not None)
    assert window.ctx is not None and window.ctx.user is not None
    assert window.ctx.user.username == "agent"


def test_a_kept_sign_in_shows_the_window_from_the_cache_before_it_signs_in(
    qtbot: QtBot, make_shell: ShellFactory, gui_server: GuiServer
) -> None:
    first = make_shell()  # "keep me signed in": the refresh token goes to the keyring
    signed_in_window(qtbot, first)
    first_sync_done(qtbot, first)
    close(first)
    # the next start's sign-in (the kept token's refresh) reaches no server until released
    gui_server.proxy.configure(ToxicConfig(probability=1.0, toxics=("hang",), trigger=REFRESH.encode()))

    shell = make_shell(password=None)
    wait_for(qtbot, lambda: shell.window is not None and shell.window.isVisible())
    # the sign-in starts from the event loop once the window has painted: wait without blocking it
    wait_for(qtbot, lambda: gui_server.proxy.wait_count("hangs_done", 1, timeout_s=0))
    window = shell.window
    assert window is not None and window.ctx is not None
    # the sign-in is on its way; the window already works from the cache
    assert shell.session is None and window.ctx.user is None and window.ctx.api is None
    assert window.agent_desk is None
    assert window.search is not None and window.search.isEnabled()
    window.open_customer(gui_server.seed.customer_ids[1])
    assert window.tabs is not None and window.tabs.tabText(0) == "Grace Hopper"

    gui_server.proxy.configure(ToxicConfig())
    gui_server.proxy.close_all()  # the held request fails; the sign-in is tried again
    wait_for(qtbot, lambda: window.status.connection_label.text() == "Online")
    wait_for(qtbot, lambda: window.agent_desk is not None)
    assert shell.session is not None and shell.session.online
    assert window.ctx.user is not None and window.ctx.user.username == "agent"
    assert window.ctx.api is shell.session.api


def test_restart_keeps_tabs_geometry_and_splitter(
    qtbot: QtBot, make_shell: ShellFactory, gui_server: GuiServer
) -> None:
    ada, grace = gui_server.seed.customer_ids
    shell = make_shell()
    window = signed_in_window(qtbot, shell)
    first_sync_done(qtbot, shell)
    window.open_customer(ada)
    window.open_customer(grace)
    assert window.tabs is not None
    window.tabs.setCurrentIndex(0)
    window.add_activity("a line, so the activity panel shows")
    QApplication.processEvents()  # the layouts settle: the window gets its minimum size
    window.resize(770, 580)  # inside the offscreen screen (800 x 600), clamped to the minimum
    window.splitter.setSizes([450, 250])
    QApplication.processEvents()  # layouts settle (a minimum size may grow the window)
    sizes = window.splitter.sizes()
    size = (window.width(), window.height())
    assert size != (1280, 800)  # not the default: the restored size must come from the settings
    close(shell)

    again = make_shell(password=None)  # the kept sign-in from the keyring, no dialog
    restored = signed_in_window(qtbot, again)
    assert restored is not window
    assert restored.tabs is not None
    # the cache was opened quickly (no SQLAlchemy before the first paint): the tabs come back once
    # its engines are open, which the shell does on the write lane after that paint
    wait_for(qtbot, lambda: restored.tabs is not None and restored.tabs.customer_ids() == [ada, grace])
    assert restored.ctx is not None and restored.ctx.cache.engines_open
    assert [restored.tabs.tabText(i) for i in range(2)] == ["Ada Lovelace", "Grace Hopper"]
    assert restored.tabs.currentIndex() == 0
    # the agent's parts join the window after the sign-in and may widen its minimum (which here
    # exceeds the 800 px offscreen screen, so the restore was clamped to it): the size settles
    wait_for(qtbot, lambda: (restored.width(), restored.height()) == size)
    assert restored.splitter.sizes() == sizes
    assert again.session is not None
    assert again.session.online


def test_shortcuts_move_between_tabs_close_them_and_show_the_help(
    qtbot: QtBot, make_shell: ShellFactory, gui_server: GuiServer
) -> None:
    ada, grace = gui_server.seed.customer_ids
    shell = make_shell()
    window = signed_in_window(qtbot, shell)
    first_sync_done(qtbot, shell)
    tabs = window.tabs
    assert tabs is not None
    window.open_customer(ada)
    window.open_customer(grace)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    assert tabs.currentIndex() == 1

    qtbot.keyClick(window, Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier)
    assert tabs.currentIndex() == 0
    qtbot.keyClick(window, Qt.Key.Key_PageUp, Qt.KeyboardModifier.ControlModifier)
    assert tabs.currentIndex() == 1
    qtbot.keyClick(window, Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier)
    assert tabs.customer_ids() == [ada]

    qtbot.keyClick(window, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    assert window.search is not None
    focused = QApplication.focusWidget()
    assert focused is not None
    assert focused is window.search or window.search.isAncestorOf(focused)

    qtbot.keyClick(window, Qt.Key.Key_F1)
    overlay = window.help_overlay
    assert overlay.isVisible()
    shown = dict(overlay.rows)
    assert shown["Ctrl+K"] == "Search customers"
    assert shown["Ctrl+W"] == "Close the customer tab"
    assert len(overlay.rows) == sum(1 for s in SHORTCUTS if s.keys)
    qtbot.keyClick(overlay, Qt.Key.Key_Escape)
    assert not overlay.isVisible()

    close_button = tabs.tabBar().tabButton(0, QTabBar.ButtonPosition.RightSide)
    assert isinstance(close_button, QToolButton)
    assert close_button.accessibleName() == "Close Ada Lovelace"
    qtbot.mouseClick(close_button, Qt.MouseButton.LeftButton)
    assert tabs.count() == 0
    assert window.pages.currentWidget() is window.summary
    qtbot.keyClick(window, Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier)  # nothing left to close
    assert tabs.count() == 0


def test_about_shows_version_cache_and_log_paths_and_every_control_is_named(
    qtbot: QtBot, make_shell: ShellFactory, paths: Paths
) -> None:
    from desktop import __version__

    shell = make_shell()
    window = signed_in_window(qtbot, shell)
    assert shell.session is not None
    window.show_about()
    about = window.findChild(AboutDialog)
    assert about is not None
    assert about.version.text() == __version__
    assert about.cache_path.text() == str(shell.session.cache_path)
    assert about.log_path.text() == str(paths.log_dir / "desktop.log")

    unnamed = [_describe(w) for w in (*_controls(window), *_controls(about)) if not w.accessibleName()]
    assert unnamed == []
    about.close()


def _controls(root: QWidget) -> list[QWidget]:
    kinds = (QAbstractButton, QLineEdit, QComboBox, QAbstractItemView, QTabWidget, QProgressBar)
    found = [w for w in root.findChildren(QWidget) if isinstance(w, kinds)]
    # Qt's own parts (a tool bar's overflow button, a line edit's clear button) are not ours to name
    return [
        w for w in found if not w.objectName().startswith("qt_") and not isinstance(w.parent(), QLineEdit)
    ]


def _describe(widget: QWidget) -> str:
    return f"{type(widget).__name__}({widget.objectName()!r})"


def test_themes_fill_every_token_and_every_icon_renders(qapp: QApplication) -> None:
    light, dark = stylesheet(LIGHT), stylesheet(DARK)
    assert "$" not in light
    assert "$" not in dark
    assert LIGHT.background in light
    assert DARK.background in dark
    assert light != dark
    names = icon_names()
    assert {"search", "customer", "online", "offline", "help", "about"} <= set(names)
    for name in names:
        assert not icon(name).isNull(), name
        assert not icon(name).pixmap(24, 24).toImage().isNull()


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_screenshot_of_a_customer_from_a_real_process(
    qtbot: QtBot, gui_server: GuiServer, keyring_file: dict[str, str], tmp_path: Path, theme: str
) -> None:
    profile = tmp_path / "profile"
    # a kept sign-in for the process to resume (the password is never passed to it)
    open_session(
        resolve_paths(profile).ensure(), SignInRequest(gui_server.url, "agent", "demo", True)
    ).close()
    target = tmp_path / f"customer-{theme}.png"
    args = ["--server", gui_server.url, "--username", "agent", "--profile", str(profile), "--theme", theme]
    args += ["--open-customer", gui_server.seed.customer_ids[0], "--screenshot", str(target)]
    env = {**keyring_file, "QT_QPA_PLATFORM": "offscreen"}

    done = subprocess.run(
        [sys.executable, "-m", "desktop", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    image = QImage(str(target))
    assert (image.width(), image.height()) == (1280, 800)
    log_text = (profile / "log" / "desktop.log").read_text()
    assert "screenshot written" in log_text
    assert "demo" not in _secrets_in(log_text)
    assert "HTTP Request" not in log_text  # request URLs (a lookup's phone or email) stay out of the log
    corner = image.pixelColor(image.width() // 2, image.height() - 60)
    if theme == "dark":
        assert corner.lightness() < 100
    else:
        assert corner.lightness() > 150
    shots = os.environ.get("LIAISON_SCREENSHOT_DIR")
    if shots:  # the README's screenshots are made here: LIAISON_SCREENSHOT_DIR=docs/screenshots
        Path(shots).mkdir(parents=True, exist_ok=True)
        image.save(str(Path(shots) / target.name))


def _secrets_in(log_text: str) -> list[str]:
    """Words of the log that follow 'password' (a password would show up here)."""
    words = log_text.replace("=", " ").split()
    return [words[i + 1] for i, w in enumerate(words[:-1]) if "password" in w.lower()]


def test_sync_bridge_delivers_engine_callbacks_on_the_gui_thread_and_stops(
    qtbot: QtBot, tmp_path: Path
) -> None:
    from desktop.services.api import ApiClient
    from desktop.services.api_http import ApiConfig
    from desktop.services.store import Changed, open_cache
    from desktop.services.sync import SyncEngine
    from desktop.services.sync_status import Rejection
    from desktop.views.sync_bridge import SyncBridge

    cache, _report = open_cache(tmp_path / "cache.db", None)
    api = ApiClient(ApiConfig(base_url="http://127.0.0.1:1"))
    worker: list[str] = []

    def run(engine: SyncEngine, stop: threading.Event) -> None:
        # what the engine does on its thread: report, announce a change and a rejection, then wait
        worker.append(threading.current_thread().name)
        engine.board.update(state="idle", last_success="2026-11-22T10:00:00+00:00")
        changed = Changed()
        changed.add("customer", "c-1")
        engine.board.changed(changed)
        engine.board.rejected([Rejection("m-1", "case", "k-1", "update", "the case is closed")])
        stop.wait(120)

    def make(on_status: Any, on_changed: Any, on_rejected: Any) -> SyncEngine:
        return SyncEngine(cache, api, on_status=on_status, on_changed=on_changed, on_rejected=on_rejected)

    bridge = SyncBridge(make, runner=run)
    received: list[tuple[str, bool, object]] = []
    on_gui = lambda: threading.current_thread() is threading.main_thread()  # noqa: E731
    bridge.status_changed.connect(lambda s: received.append(("status", on_gui(), s)))
    bridge.changed.connect(lambda c: received.append(("changed", on_gui(), c)))
    bridge.rejected.connect(lambda r: received.append(("rejected", on_gui(), r)))
    try:
        bridge.start()
        wait_for(qtbot, lambda: len(received) == 3)
    finally:
        assert bridge.stop()
        api.close()
        cache.close()
    assert worker == ["liaison-sync"]
    assert not bridge.running
    kinds = {kind: (gui, value) for kind, gui, value in received}
    assert all(gui for gui, _value in kinds.values())
    assert kinds["status"][1].state == "idle"  # type: ignore[attr-defined]
    assert bridge.status is kinds["status"][1]
    assert kinds["changed"][1].ids("customer") == {"c-1"}  # type: ignore[attr-defined]
    assert kinds["rejected"][1].reason == "the case is closed"  # type: ignore[attr-defined]


def test_demo_server_seeds_serves_and_cleans_up(tmp_path: Path) -> None:
    from desktop.services.demo_server import DEMO_PASSWORD, DEMO_USERNAME, DemoServer

    lines: list[str] = []
    with DemoServer(customers=25, log_file=tmp_path / "demo.log", progress=lines.append) as demo:
        assert demo.running
        database = Path(demo.database_url.removeprefix("sqlite:///"))
        assert database.exists()
        session = open_session(
            resolve_paths(tmp_path / "profile").ensure(),
            SignInRequest(demo.url, DEMO_USERNAME, DEMO_PASSWORD),
            encrypted=False,
        )
        try:
            assert session.online
            assert session.user is not None
            assert session.user.username == "agent"
            assert not session.cache.encrypted
        finally:
            session.close()
    assert not demo.running
    assert not database.parent.exists()
    assert any("demo users" in line for line in lines)
    assert "Liaison central CRM API on" in (tmp_path / "demo.log").read_text()


def refused_kept_sign_in(qtbot: QtBot, make_shell: ShellFactory, gui_server: GuiServer) -> Shell:
    """A shell whose kept sign-in the server refused: its dialog shown over the window from a cache
    that a first, signed-in run filled."""
    first = make_shell()
    signed_in_window(qtbot, first)
    first_sync_done(qtbot, first)
    close(first)
    Credentials(gui_server.url).save("agent", "a-token-the-server-never-issued")
    shell = make_shell(password=None)
    wait_for(qtbot, lambda: shell.dialog is not None and shell.dialog.isVisible())
    return shell


def test_a_refused_kept_sign_in_asks_over_the_window_and_closing_the_dialog_closes_it(
    qtbot: QtBot, make_shell: ShellFactory, gui_server: GuiServer
) -> None:
    shell = refused_kept_sign_in(qtbot, make_shell, gui_server)
    dialog, window = shell.dialog, shell.window
    assert dialog is not None and window is not None
    assert dialog.parent() is window and window.isVisible()  # the cache stays on screen behind it
    assert shell.session is None
    qtbot.keyClicks(dialog.password, "demo")
    qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)
    wait_for(qtbot, lambda: shell.session is not None and window.agent_desk is not None)
    assert shell.session is not None and shell.session.online
    assert shell.opened is not None and shell.session.cache is shell.opened.cache  # opened once
    close(shell)

    Credentials(gui_server.url).save("agent", "a-token-the-server-never-issued")
    again = make_shell(password=None)
    wait_for(qtbot, lambda: again.dialog is not None and again.dialog.isVisible())
    assert again.dialog is not None and again.window is not None
    again.dialog.reject()
    assert not again.window.isVisible()


def test_a_kept_sign_in_without_a_cache_signs_in_first(
    qtbot: QtBot, make_shell: ShellFactory, gui_server: GuiServer, paths: Paths
) -> None:
    Credentials(gui_server.url).save("agent", "a-kept-refresh-token")
    gui_server.stop()

    shell = make_shell(password=None)  # nothing to show from: no empty window, the reason instead
    wait_for(qtbot, lambda: shell.dialog is not None and shell.dialog.isVisible())
    assert shell.window is None
    assert not cache_path(paths).exists()
