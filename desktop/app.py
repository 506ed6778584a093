"""Composition root: arguments, settings, services, the main window. Nothing else lives here.

`main()` parses the command line, takes the profile's lock, starts the demo server for `--demo`,
and hands over to `Shell`, which wires one session: the profile's cache, the task runner, the
change hub and the main window; the sign-in (restored from the keyring, automatic for the demo, or
the dialog); then the sync bridge and the parts of the window the user's roles call for.
`liaison sync …` runs headless and never imports Qt.

Start-up order with a kept sign-in (the everyday start; bench/cold_start.py measures it): the cache
is opened with only its critical tables checked (`store.startup`, `services.opened_cache`: no HTTP
client, no pydantic imported yet), the window is shown with the search box usable, and once it has
painted the sign-in runs on the network lane (`session.complete_session`, which imports the API
client and the sync engine there); then the agent desk or the supervisor's dock are added and
syncing starts. A refused kept sign-in opens the sign-in dialog over the window (closing it closes
the window). The demo and a first sign-in sign in first, then show the window. An offline start
that signs in later (the sync thread retries) adds the user's parts when it does.

The whole-file integrity check runs later on a worker thread (`ShellOptions.integrity_check_delay_ms`
after the window is shown); what it finds is shown in the window's notice, and a damaged file is
recovered at the next start. It is cancelled at shutdown before the cache closes.
"""

import argparse
import logging
import os
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

from desktop import __version__
from desktop.services.logs import log_to_file
from desktop.services.settings import Paths, preset_server_url, resolve_paths

if TYPE_CHECKING:
    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from desktop.services.demo_server import DemoServer
    from desktop.services.opened_cache import OpenedCache
    from desktop.services.session import Session
    from desktop.services.sign_in import SignInRequest
    from desktop.services.store import Changed, Writer
    from desktop.services.store.integrity import CheckResult
    from desktop.services.sync import SyncEngine
    from desktop.services.sync_status import Rejection, SyncStatus
    from desktop.views.context import ViewContext
    from desktop.views.dialogs.signin import SignInDialog
    from desktop.views.instance import InstanceServer
    from desktop.views.main_window import MainWindow
    from desktop.views.sync_bridge import SyncBridge

DEFAULT_SERVER: Final = "http://127.0.0.1:8765"
SERVER_KEY: Final = "session/server"
USERNAME_KEY: Final = "session/username"
UI_SETTINGS: Final = "ui.ini"
EXIT_SETUP: Final = 2
#: `LIAISON_EXIT_WHEN_READY=1` (for bench/cold_start.py): once a session's main window is shown with
#: the cache open and the search box usable, print `liaison-ready <time.time()>` on stdout and quit
#: through the normal shutdown (so that the exit is measured too)
READY_PROBE_ENV: Final = "LIAISON_EXIT_WHEN_READY"
#: how long after the window is shown the whole-file integrity check starts: the first seconds
#: belong to the agent and the first sync (the check reads every page: about a minute for 7.7 GB)
INTEGRITY_CHECK_DELAY_MS: Final = 15_000
#: a kept sign-in starts once the window has painted, or this long after it was shown at the latest
SIGN_IN_AT_LATEST_MS: Final = 1_000
log = logging.getLogger("desktop")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="liaison", description="Liaison Desk, the contact-centre desktop.")
    parser.add_argument("--server", default=None, metavar="URL", help="central CRM API base URL")
    parser.add_argument("--username", default=None, metavar="U", help="user to sign in as")
    parser.add_argument(
        "--profile",
        type=Path,
        default=None,
        metavar="DIR",
        help="keep every file under DIR (data, cache, logs)",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="start a seeded demo server on a free loopback port and sign in as 'agent'",
    )
    parser.add_argument("--open-customer", default=None, metavar="ID", help="open this customer's tab")
    parser.add_argument(
        "--screenshot",
        type=Path,
        default=None,
        metavar="FILE",
        help="render the main window offscreen once the first customer is shown, write a PNG, exit",
    )
    parser.add_argument("--theme", choices=("light", "dark"), default=None, help="colour theme")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser.parse_args(argv)


def _setup_logging(paths: Paths) -> Path:
    return log_to_file(paths.log_dir / "desktop.log")


@dataclass
class ShellOptions:
    """What the command line asks of the window (the parts of it past start-up)."""

    server_url: str
    username: str | None
    open_customer: str | None = None
    screenshot: Path | None = None
    #: sign in with this request at once (the demo), without the dialog
    auto_sign_in: "SignInRequest | None" = None
    #: a plain, unencrypted cache with no keyring entry (the throwaway demo profile)
    encrypted_cache: bool = True
    #: open the demo's busiest customer once the first sync is done, if no tab is open
    open_demo_customer: bool = False
    #: the sync engine's random source (tests make its backoff short and deterministic)
    engine_rng: random.Random | None = None
    #: the whole-file integrity check starts this long after the window is shown
    integrity_check_delay_ms: int = INTEGRITY_CHECK_DELAY_MS


def _engines_open(_writer: "Writer") -> None:
    """Nothing to do: getting the writer on the write lane has opened the cache's engines."""


class Shell:
    """One run of the desktop: the sign-in, then the session's services and the main window."""

    def __init__(
        self, app: "QApplication", paths: Paths, settings: "QSettings", options: ShellOptions
    ) -> None:
        from desktop.views.tasks import TaskRunner

        self.app = app
        self.paths = paths
        self.settings = settings
        self.options = options
        self.log_path = paths.log_dir / "desktop.log"
        #: sign-in work only (no cache is open yet)
        self.sign_in_tasks = TaskRunner(None)
        #: the background integrity check (its own lane: it may take a minute)
        self.check_tasks = TaskRunner(None)
        self._check_timer: QTimer | None = None
        #: what the background integrity check found (None until it has finished)
        self.integrity: CheckResult | None = None
        #: the profile's cache, open (before the sign-in with a kept one); the session holds it after
        self.opened: OpenedCache | None = None
        self.session: Session | None = None
        self.ctx: ViewContext | None = None
        self.tasks: TaskRunner | None = None
        self.bridge: SyncBridge | None = None
        self.window: MainWindow | None = None
        self.dialog: SignInDialog | None = None
        self.exit_code = 0
        #: the local socket of outside screen pops (listening once signed in)
        self.instance: InstanceServer | None = None
        self._waiting_first_sync = False
        self._was_busy = False
        #: the window is going away (the start-up probe quit): start no sign-in any more
        self._closing = False
        #: the sign-in after the window's first paint has started
        self._signing_in = False

    # -- sign-in ---------------------------------------------------------------------------------

    def start(self) -> None:
        """The demo signs in first; a kept sign-in shows the window from the profile's cache, then
        signs in (with no cache yet, it signs in first); without either, the dialog."""
        from desktop.services.profile_cache import cache_path
        from desktop.services.sign_in import SignInRequest

        options = self.options
        if options.auto_sign_in is not None:
            self._run_sign_in(options.auto_sign_in)
        elif options.username:
            request = SignInRequest(options.server_url, options.username, None)
            if not cache_path(self.paths).exists():
                # nothing to show yet: sign in first (an unreachable server is said so, no empty window)
                self._run_sign_in(request)
                return
            self.sign_in_tasks.network(
                self._open_cache,
                done=lambda opened: self._cache_opened(opened, request),
                failed=self._no_session,
            )
        else:
            self._no_session(None)

    def _open(self, request: "SignInRequest") -> "Session":
        """Sign in, then open the cache (the demo, the dialog with no window shown yet)."""
        from desktop.services.session import open_session

        return open_session(self.paths, request, encrypted=self.options.encrypted_cache, check="critical")

    def _open_cache(self) -> "OpenedCache":
        from desktop.services.opened_cache import open_profile_cache

        return open_profile_cache(
            self.paths, encrypted=self.options.encrypted_cache, check="critical", quick=True
        )

    def _complete(self, request: "SignInRequest") -> "Session":
        """Sign in around the cache the window already shows (on the network lane)."""
        from desktop.services.session import complete_session

        opened = self.opened
        assert opened is not None
        return complete_session(self.paths, request, opened)

    def _run_sign_in(self, request: "SignInRequest") -> None:
        self.sign_in_tasks.network(lambda: self._open(request), done=self.signed_in, failed=self._no_session)

    def _cache_opened(self, opened: "OpenedCache", request: "SignInRequest") -> None:
        """The kept sign-in's start: the window from the cache now, the sign-in once it has painted."""
        from PySide6.QtCore import QTimer

        self.opened = opened
        window = self._window_for_cache(opened)
        log.info("window shown from the cache; signing in as %s once it has painted", request.username)
        window.firstPainted.connect(lambda: QTimer.singleShot(0, lambda: self._sign_in_after_paint(request)))
        # a window that is not painted (a locked or disconnected screen) must not keep it waiting
        QTimer.singleShot(SIGN_IN_AT_LATEST_MS, lambda: self._sign_in_after_paint(request))

    def _sign_in_after_paint(self, request: "SignInRequest") -> None:
        if self._closing or self._signing_in:
            return
        self._signing_in = True
        self.sign_in_tasks.network(lambda: self._complete(request), done=self.signed_in, failed=self._refused)
        if self.window is not None:  # pops are taken from the cache already, as the search box searches it
            self._listen_for_pops(self.window)

    def _refused(self, failure: BaseException) -> None:
        """The kept sign-in failed with the window shown: the dialog over it, signing in around the
        open cache (closing the dialog closes the window)."""
        log.info("kept sign-in failed: %s", type(failure).__name__, exc_info=failure)
        window = self.window
        if self.opened is None or window is None or self._closing:
            return
        if self.options.screenshot is not None:
            self._capture()
            return
        dialog = self._sign_in_dialog(self._complete, failure, window)
        dialog.rejected.connect(window.close)
        dialog.open()

    def _no_session(self, failure: BaseException | None) -> None:
        """The automatic sign-in failed (or there was none): the dialog, or for a screenshot the
        window as it is without a session."""
        if failure is not None:
            log.info("automatic sign-in failed: %s", type(failure).__name__, exc_info=failure)
        if self.options.screenshot is not None:
            self._show_window(None)
            self._capture()
            return
        self._sign_in_dialog(self._open, failure, None).show()

    def _sign_in_dialog(
        self,
        open_session: "Callable[[SignInRequest], Session]",
        failure: BaseException | None,
        parent: "MainWindow | None",
    ) -> "SignInDialog":
        """The sign-in dialog (not shown yet) opening the session with `open_session`, saying why
        the automatic sign-in failed; it becomes the session when the user signs in."""
        from PySide6.QtCore import Qt

        from desktop.views.dialogs.signin import SignInDialog, failure_text

        dialog = SignInDialog(
            self.sign_in_tasks,
            open_session,
            server_url=self.options.server_url,
            username=self.options.username or "",
            parent=parent,
        )
        if failure is not None:
            dialog.show_message(failure_text(failure, self.options.server_url))
        dialog.signedIn.connect(self.signed_in)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(self._dialog_closed)
        self.dialog = dialog
        return dialog

    # -- the session -----------------------------------------------------------------------------

    def _dialog_closed(self, _result: int) -> None:
        self.dialog = None  # it deletes itself

    def _window_for_cache(self, opened: "OpenedCache") -> "MainWindow":
        """The session's task runner, change hub and context over the open cache, and the window
        shown with the search box usable (the user and the API client come with the sign-in).

        A cache opened quickly (`store.quick_open`: no SQLAlchemy yet) is searched through driver
        connections at first; its engines are opened on the write lane once the window has painted,
        and only then are the last session's tabs (and `--customer`) opened, as their screens read
        through SQLAlchemy. Whatever needs the engines before that opens them itself and waits."""
        from PySide6.QtCore import QTimer

        from desktop import startup_gc
        from desktop.views.context import ChangeHub, ViewContext
        from desktop.views.tasks import TaskRunner

        cache = opened.cache
        self.tasks = TaskRunner(lambda: cache.writer)
        ctx = ViewContext(
            cache=cache,
            tasks=self.tasks,
            hub=ChangeHub(),
            request_sync=self._request_sync,
            settings=self.settings,
        )
        self.ctx = ctx
        window = self._show_window(ctx, tabs=cache.engines_open)
        window.firstPainted.connect(startup_gc.resume)
        self._schedule_integrity_check()
        if os.environ.get(READY_PROBE_ENV) == "1":
            window.firstPainted.connect(lambda: QTimer.singleShot(0, self._report_ready))
        if cache.engines_open:
            self._cache_ready()
        else:
            window.firstPainted.connect(lambda: QTimer.singleShot(0, self._open_engines))
        return window

    def _open_engines(self) -> None:
        """On the write lane: the cache's SQLAlchemy side (getting the writer there opens it)."""
        if self._closing or self.tasks is None or self.tasks.closed:
            return
        self.tasks.write(_engines_open, done=lambda _none: self._cache_ready(), failed=self._engines_failed)

    def _cache_ready(self) -> None:
        """The cache reads through SQLAlchemy too: the last session's tabs, and `--customer`."""
        window = self.window
        if window is None or self._closing:
            return
        window.restore_tabs()
        customer = self.options.open_customer
        if customer and self.options.screenshot is None:
            window.open_customer(customer)

    def _engines_failed(self, error: BaseException) -> None:
        log.error("the cache could not be opened for writing: %s", error, exc_info=error)
        if self.window is not None:
            self.window.show_notice(
                f"The offline cache could not be opened for changes ({type(error).__name__}): "
                "search still works; restart Liaison Desk to try again."
            )

    def _request_sync(self) -> None:
        """After a local edit: push soon (before the sign-in the outbox simply waits for it)."""
        if self.bridge is not None:
            self.bridge.request_sync()

    def signed_in(self, session: "Session") -> None:
        """The sign-in is done (or the session is offline): the window (unless it shows already),
        the user's parts of it, and syncing."""
        from desktop.services.sync import SyncEngine
        from desktop.views.sync_bridge import SyncBridge

        if self.session is not None:
            return
        self.session = session
        request = session.request
        self.settings.setValue(SERVER_KEY, request.server_url)
        self.settings.setValue(USERNAME_KEY, request.username)
        log.info("session opened user=%s online=%s", request.username, session.online)
        if self.opened is None:
            self.opened = session.opened
        window, ctx = self.window, self.ctx
        if window is None or ctx is None:
            window = self._window_for_cache(self.opened)
            ctx = self.ctx
            assert ctx is not None
        ctx.user, ctx.api = session.user, session.api
        window.attach_user_parts()

        def make_engine(
            on_status: "Callable[[SyncStatus], None]",
            on_changed: "Callable[[Changed], None]",
            on_rejected: "Callable[[Rejection], None]",
        ) -> "SyncEngine":
            return SyncEngine(
                session.cache,
                session.api,
                rng=self.options.engine_rng,
                on_status=on_status,
                on_changed=on_changed,
                on_rejected=on_rejected,
            )

        bridge = SyncBridge(make_engine, runner=session.run_sync)
        self.bridge = bridge
        bridge.status_changed.connect(window.show_status)
        bridge.status_changed.connect(self._on_status)
        bridge.status_changed.connect(self._checkpoint_when_quiet)
        bridge.changed.connect(ctx.hub.publish)
        bridge.server_event.connect(ctx.hub.server_event)
        bridge.rejected.connect(window.show_rejection)
        window.show_notice(self._notice(session))
        self._waiting_first_sync = session.online
        customer = self.options.open_customer
        if customer and self.options.screenshot is not None and not session.online:
            window.open_customer(customer)  # online: after the first sync, so the shot shows its data
        bridge.start()
        self._warm_up_when_idle()
        self._listen_for_pops(window)
        if self.options.screenshot is not None and not self._waiting_first_sync:
            self._capture()

    def _listen_for_pops(self, window: "MainWindow") -> None:
        """`liaison pop` / `liaison://pop` reach this window through the profile's local socket
        (once: a window shown from the cache listens when its sign-in starts, after its first paint,
        so a refused sign-in's dialog does not stop pops; other windows when the session opens)."""
        if self.instance is not None:
            return
        from desktop.views.application import LiaisonApplication
        from desktop.views.instance import InstanceServer

        self.instance = InstanceServer(self.paths.data_dir)
        self.instance.popRequested.connect(lambda phone: _pop_from_outside(window, phone))
        self.instance.listen()
        if isinstance(self.app, LiaisonApplication):  # liaison:// links opened while running (macOS)
            self.app.popLinkOpened.connect(self.instance.open_link)

    def _warm_up_when_idle(self) -> None:
        """Once the window has painted: the imports the first customer shown needs (preload.py)."""
        from PySide6.QtCore import QTimer

        from desktop.preload import warm_up

        QTimer.singleShot(200, warm_up)  # after the first paint, before a person can act

    def _notice(self, session: "Session") -> str | None:
        from desktop.views.i18n import tr

        parts: list[str] = []
        if session.startup.recovered:
            parts.append(session.startup.message())
        if not session.online:
            parts.append(
                tr(
                    "The server cannot be reached ({reason}): working offline from this computer's copy. "
                    "Your changes are kept and sent when the server is back."
                ).format(reason=session.notice or tr("no answer"))
            )
        elif session.notice:
            parts.append(session.notice)
        return " ".join(parts) or None

    # -- the background integrity check ----------------------------------------------------------

    def _schedule_integrity_check(self) -> None:
        """Start the whole-file check once the window has been up for a while (never before)."""
        from PySide6.QtCore import QTimer

        if self.opened is None or self.opened.integrity is None:
            return
        timer = QTimer()
        timer.setObjectName("integrity-check")
        timer.setSingleShot(True)
        timer.timeout.connect(self._start_integrity_check)
        self._check_timer = timer
        timer.start(max(0, self.options.integrity_check_delay_ms))

    def _start_integrity_check(self) -> None:
        opened = self.opened
        if opened is None or opened.integrity is None or self.check_tasks.closed:
            return
        log.info("background integrity check of the cache started")
        self.check_tasks.network(
            opened.integrity.run, done=self._integrity_checked, failed=self._integrity_check_failed
        )

    def _integrity_checked(self, result: "CheckResult") -> None:
        """Tell the user what the whole-file check found (damage: recovery at the next start)."""
        self.integrity = result
        if result.outcome in ("damaged", "failed") and self.window is not None:
            self.window.show_notice(result.message())

    def _integrity_check_failed(self, error: BaseException) -> None:
        log.warning("background integrity check crashed: %s", type(error).__name__, exc_info=error)

    def _show_window(self, ctx: "ViewContext | None", *, tabs: bool = True) -> "MainWindow":
        from desktop.views.main_window import MainWindow

        window = MainWindow(
            self.options.server_url if self.session is None else self.session.request.server_url,
            self.options.username if self.session is None else self.session.request.username,
            ctx=ctx,
            settings=self.settings,
            log_path=self.log_path,
        )
        self.window = window
        window.restore_ui(tabs=tabs)
        window.show()
        return window

    def _checkpoint_when_quiet(self, status: "SyncStatus") -> None:
        """When a sync cycle (or priming) ends, checkpoint the cache's WAL on the write lane, so that
        the frames its commits left behind (readers were busy) are not all copied at exit."""
        busy = status.state in ("syncing", "priming")
        if self._was_busy and not busy and self.tasks is not None and not self.tasks.closed:
            self.tasks.write(lambda writer: writer.checkpoint(), failed=self._checkpoint_failed)
        self._was_busy = busy

    def _checkpoint_failed(self, error: BaseException) -> None:
        log.info("checkpoint after a sync cycle failed: %s", type(error).__name__)

    def _on_status(self, status: "SyncStatus") -> None:
        session, ctx = self.session, self.ctx
        if session is not None and ctx is not None and ctx.user is None and session.user is not None:
            # an offline start has signed in (the sync thread's reconnect): the user's parts now
            ctx.user = session.user
            if self.window is not None:
                self.window.attach_user_parts()
        if not self._waiting_first_sync or status.state in ("syncing", "priming"):
            return
        self._waiting_first_sync = False
        window, session = self.window, self.session
        if window is None or session is None:
            return
        customer_id = self.options.open_customer
        if (
            customer_id is None
            and self.options.open_demo_customer
            and window.tabs
            and not window.tabs.count()
        ):
            from desktop.services.demo_server import busiest_customer

            customer_id = busiest_customer(session.cache)
        if customer_id is not None:
            window.open_customer(customer_id)
        if self.options.screenshot is not None:
            self._capture()

    # -- screenshot and shutdown -----------------------------------------------------------------

    def _capture(self) -> None:
        """Write the window to the screenshot file on the next turn of the loop, then quit."""
        from PySide6.QtCore import QTimer

        QTimer.singleShot(0, self._write_screenshot)

    def _write_screenshot(self) -> None:
        window, target = self.window, self.options.screenshot
        if window is None or target is None:
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        if window.grab().save(str(target), "PNG"):
            log.info("screenshot written to %s", target)
        else:
            sys.stderr.write(f"liaison: could not write screenshot to {target}\n")
            self.exit_code = 1
        window.close()
        self.app.quit()

    def _report_ready(self) -> None:
        """The start-up probe (`READY_PROBE_ENV`): the window has painted, with the cache open."""
        self._closing = True
        sys.stdout.write(f"liaison-ready {time.time():.6f}\n")
        sys.stdout.flush()
        if self.window is not None:
            self.window.close()
        self.app.quit()

    def shutdown(self) -> None:
        """Stop syncing, finish queued writes, close the cache (after the event loop ended)."""
        if self.window is not None:
            self.window.save_ui()
        if self._check_timer is not None:
            self._check_timer.stop()
        if self.instance is not None:
            self.instance.close()
        self._closing = True
        if self.opened is not None and self.opened.integrity is not None:
            self.opened.integrity.cancel()  # before the cache closes: it holds a read snapshot
        if self.bridge is not None:
            self.bridge.stop()
        if self.tasks is not None:
            self.tasks.shutdown()
        self.check_tasks.shutdown()
        self.sign_in_tasks.shutdown()
        if self.session is not None:
            self.session.close()
        elif self.opened is not None:
            self.opened.close()  # the sign-in never finished
        self.settings.sync()


def _options(
    args: argparse.Namespace, settings: "QSettings", demo: "DemoServer | None", paths: Paths
) -> ShellOptions:
    if demo is not None:
        from desktop.services.demo_server import DEMO_PASSWORD, DEMO_USERNAME
        from desktop.services.sign_in import SignInRequest

        return ShellOptions(
            server_url=demo.url,
            username=DEMO_USERNAME,
            open_customer=args.open_customer,
            screenshot=args.screenshot,
            auto_sign_in=SignInRequest(demo.url, DEMO_USERNAME, DEMO_PASSWORD),
            encrypted_cache=False,
            open_demo_customer=True,
        )
    saved_server = settings.value(SERVER_KEY)
    saved_user = settings.value(USERNAME_KEY)
    return ShellOptions(
        # the command line, the last server signed in to, IT's preset (docs/installers.md), the default
        server_url=args.server
        or (saved_server if isinstance(saved_server, str) else None)
        or preset_server_url(paths)
        or DEFAULT_SERVER,
        username=args.username or (saved_user if isinstance(saved_user, str) else None),
        open_customer=args.open_customer,
        screenshot=args.screenshot,
    )


def _pop_from_outside(window: "MainWindow", phone: str) -> None:
    """An outside pop (`views.agent.attach.pop_from_outside`), imported at the first one: the screen
    pop's modules take about half a second to import, too long for the GUI thread right after the
    first paint (the agent desk imports them anyway once the user has signed in)."""
    from desktop.views.agent.attach import pop_from_outside

    pop_from_outside(window, phone)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the desktop; return the process exit code. `liaison sync …` runs headless (no Qt)."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["sync"]:
        from desktop.cli_sync import main as sync_main

        return sync_main(arguments[1:])
    if arguments[:1] == ["offers"]:
        from desktop.cli_offers import main as offers_main

        return offers_main(arguments[1:])
    if arguments[:1] == ["pop"] or (arguments and arguments[0].lower().startswith("liaison:")):
        from desktop import pop_cli  # headless: hands the number to the running instance

        return pop_cli.main(arguments[1:]) if arguments[0] == "pop" else pop_cli.main_url(arguments)
    args = parse_args(arguments)
    if args.screenshot is not None:
        # the platform plugin is chosen when the QApplication is created
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    throwaway: Path | None = None
    if args.demo and args.profile is None:
        throwaway = Path(tempfile.mkdtemp(prefix="liaison-demo-profile-"))
    try:
        return _run(args, resolve_paths(args.profile or throwaway).ensure())
    finally:
        if throwaway is not None:
            shutil.rmtree(throwaway, ignore_errors=True)


def _run(args: argparse.Namespace, paths: Paths) -> int:
    from desktop import qt_import_hook, startup_gc
    from desktop.preload import preload

    startup_gc.pause()  # until the window has painted: see desktop/startup_gc.py
    preload()  # before PySide6: see desktop/preload.py
    from PySide6.QtCore import QSettings, QTimer

    qt_import_hook.make_safe()  # before any worker thread imports: see desktop/qt_import_hook.py
    from desktop.services.profile_lock import ProfileBusy, ProfileLock
    from desktop.views.application import LiaisonApplication
    from desktop.views.interrupt import quit_on_signals
    from desktop.views.main_window import THEME_KEY
    from desktop.views.theme import apply_theme

    log_path = _setup_logging(paths)
    lock = ProfileLock(paths.data_dir)
    try:
        lock.acquire()
    except ProfileBusy as exc:
        sys.stderr.write(f"liaison: {exc}\n")
        return EXIT_SETUP
    demo: DemoServer | None = None
    try:
        app = LiaisonApplication(sys.argv[:1])
        app.setApplicationName("Liaison Desk")
        app.setApplicationVersion(__version__)
        settings = QSettings(str(paths.data_dir / UI_SETTINGS), QSettings.Format.IniFormat)
        saved_theme = settings.value(THEME_KEY)
        apply_theme(app, args.theme or (saved_theme if saved_theme in ("light", "dark") else "light"))
        quit_on_signals(app)
        if args.demo:
            from desktop.services import demo_server

            sys.stderr.write("liaison: seeding and starting the demo server (this takes a little while)…\n")
            demo = demo_server.DemoServer(log_file=paths.log_dir / "demo-server.log").start()
        options = _options(args, settings, demo, paths)
        log.info("started version=%s server=%s user=%s", __version__, options.server_url, options.username)
        log.info("log file %s", log_path)
        shell = Shell(app, paths, settings, options)
        shell.start()
        QTimer.singleShot(startup_gc.RESUME_AT_LATEST_MS, startup_gc.resume)
        code = app.exec()
        shell.shutdown()
        return code or shell.exit_code
    finally:
        if demo is not None:
            demo.stop()
        lock.release()
