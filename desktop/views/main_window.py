"""The main window: tool bar with the search box, customer tabs, an activity panel, the conflicts
dock, the status bar.

The conflicts dock (below the tabs, where the resolve view has the width to compare base, theirs
and mine) holds the `ConflictsPanel`, imported and built the first time the dock is shown (the
window starts without it); the status bar's conflicts count, the `conflicts` shortcut and the
panel's "open customer" all lead through here. "New customer" (Ctrl+N) opens the
`NewCustomerDialog`; the customer it creates, or the existing one the agent picks instead, opens in
a tab.

It is given everything it uses (a `ViewContext` once signed in, the settings, the log path) by the
composition root and builds no services itself. Without a context (not signed in, or no cache) it
shows which server and user it is set up for. UI state — geometry, tool bar and splitter state,
open tabs, theme — is saved to the given QSettings when the window closes (never secrets).
"""

import importlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Final

from PySide6.QtCore import QByteArray, QSettings, Qt, Signal
from PySide6.QtGui import QCloseEvent, QPaintEvent
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QLabel,
    QLineEdit,
    QListWidget,
    QMainWindow,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from desktop.views.dialogs.about import AboutDialog
from desktop.views.i18n import tr
from desktop.views.icons import icon
from desktop.views.shortcuts import SHORTCUTS, HelpOverlay, keys_text, make_actions
from desktop.views.status_bar import StatusBar
from desktop.views.tabs import CustomerTabs
from desktop.views.theme import THEMES, apply_theme, current_theme

if TYPE_CHECKING:  # imported when first used (or only for types): the window starts without them
    from desktop.services.sync_status import Rejection, SyncStatus
    from desktop.views.agent.desk import AgentDesk
    from desktop.views.conflicts.panel import ConflictsPanel
    from desktop.views.context import ViewContext
    from desktop.views.dialogs.new_customer import NewCustomerDialog

log = logging.getLogger(__name__)

SEARCH_MODULE: Final = "desktop.views.search.box"
GEOMETRY_KEY: Final = "window/geometry"
STATE_KEY: Final = "window/state"
SPLITTER_KEY: Final = "window/splitter"
THEME_KEY: Final = "ui/theme"
DEFAULT_SIZE: Final = (1280, 800)
ACTIVITY_WIDTH: Final = 260
#: the conflicts dock's size when it opens (below the tabs: its height; moved to the right: its
#: width), and the least it may be squeezed to
CONFLICTS_HEIGHT: Final = 300
CONFLICTS_WIDTH: Final = 620
CONFLICTS_MIN_HEIGHT: Final = 200
CONFLICTS_MIN_WIDTH: Final = 360


class QuickOpen(QLineEdit):
    """The search box until the full one (`desktop.views.search.box.SearchBox`) exists: Enter opens
    the best match in the cache."""

    customerChosen = Signal(str)  # noqa: N815 - the SearchBox's signal name

    def __init__(self, ctx: "ViewContext", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.setObjectName("searchBox")
        self.setAccessibleName(tr("Search customers"))
        self.setPlaceholderText(tr("Search customers by name, phone, email or account (Ctrl+K)"))
        self.setClearButtonEnabled(True)
        self.returnPressed.connect(self._open_best)

    def _open_best(self) -> None:
        from desktop.services.store.search_query import search

        with self._ctx.cache.read_raw() as conn:
            hits = search(conn, self.text(), limit=1)
        if hits:
            self.customerChosen.emit(hits[0].customer_id)


def _search_widget(ctx: "ViewContext", parent: QWidget) -> QWidget:
    try:
        module = importlib.import_module(SEARCH_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name != SEARCH_MODULE:
            raise
        return QuickOpen(ctx, parent)
    box: QWidget = module.SearchBox(ctx)
    box.setParent(parent)
    return box


class MainWindow(QMainWindow):
    """The top-level window of a session (or of no session: then only the summary and status bar)."""

    #: a customer's tab was opened or brought to the front (its id)
    customerShown = Signal(str)  # noqa: N815 - Qt's naming
    #: the window has painted for the first time (the composition root starts the sign-in then)
    firstPainted = Signal()  # noqa: N815 - Qt's naming

    def __init__(
        self,
        server_url: str,
        username: str | None,
        parent: QWidget | None = None,
        *,
        ctx: "ViewContext | None" = None,
        settings: QSettings | None = None,
        log_path: Path | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setWindowTitle(tr("Liaison Desk"))
        self.setWindowIcon(icon("app"))
        self.setAccessibleName(tr("Liaison Desk"))
        self.resize(*DEFAULT_SIZE)
        self.ctx = ctx
        self.settings = settings
        self.server_url = server_url
        self.log_path = log_path
        user = username or tr("not signed in")

        self.actions_by_name = make_actions(self)
        self.status = StatusBar(self)
        self.status.set_conflicts_hint(keys_text("conflicts"))
        self.setStatusBar(self.status)
        self.status.show_session(server_url, username)
        self.server_label = self.status.server_label
        self.user_label = self.status.user_label

        summary = QLabel(tr("Server: {server}\nUser: {user}").format(server=server_url, user=user), self)
        summary.setObjectName("connectionSummary")
        summary.setAccessibleName(tr("Connection summary"))
        summary.setAlignment(Qt.AlignmentFlag.AlignCenter)
        summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary = summary

        self.notice = QLabel(self)
        self.notice.setObjectName("notice")
        self.notice.setAccessibleName(tr("Notice"))
        self.notice.setWordWrap(True)
        self.notice.hide()

        self.activity = QListWidget(self)
        self.activity.setObjectName("activity")
        self.activity.setAccessibleName(tr("Activity: notices and refused changes"))

        self.pages = QStackedWidget(self)
        self.pages.setAccessibleName(tr("Customers"))
        self.pages.addWidget(summary)
        self.tabs: CustomerTabs | None = None
        self.search: QWidget | None = None
        if ctx is not None:
            self.tabs = CustomerTabs(ctx, self)
            self.tabs.customersChanged.connect(self._tabs_changed)
            self.tabs.problem.connect(lambda text: self.status.showMessage(text, 10_000))
            self.pages.addWidget(self.tabs)
            self.search = _search_widget(ctx, self)
            self.search.customerChosen.connect(self.open_customer)  # type: ignore[attr-defined]
            summary.setText(tr("Search for a customer with Ctrl+K, or press F1 for every shortcut."))

        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.setAccessibleName(tr("Customers and activity"))
        self.splitter.addWidget(self.pages)
        self.splitter.addWidget(self.activity)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 0)
        self.splitter.setCollapsible(0, False)
        # the activity panel starts collapsed (the customer screen needs the width) and opens with
        # its first entry; the user's sizes are kept with the window's state
        self.splitter.setSizes([DEFAULT_SIZE[0], 0])

        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(6, 6, 6, 0)
        layout.addWidget(self.notice)
        layout.addWidget(self.splitter, 1)
        self.setCentralWidget(central)
        self.help_overlay = HelpOverlay(central)
        self.conflicts_dock: QDockWidget | None = None
        self.conflicts_panel: ConflictsPanel | None = None
        self.new_customer_dialog: NewCustomerDialog | None = None
        if ctx is not None:
            self._build_conflicts_dock()
        self._build_tool_bar()
        self.agent_desk: AgentDesk | None = None
        self._user_parts = False
        self._restored = False
        #: the last session's tabs are still to reopen (`restore_ui(tabs=False)`): not saved over
        self._tabs_pending = False
        self._painted = False
        self.attach_user_parts()
        self._connect_actions()

    def attach_user_parts(self) -> bool:
        """Add what the signed-in user's roles call for — the agent desk, the broadcast banner, the
        supervisor's dock — once `ctx.user` is known (at construction, or later when a window shown
        from the cache has signed in). Once only; True when they are (or already were) added."""
        ctx = self.ctx
        if self._user_parts:
            return True
        if ctx is None or ctx.user is None:
            return False
        from desktop.views.agent.attach import attach_agent
        from desktop.views.supervisor.attach import attach_supervisor

        self._user_parts = True
        self.agent_desk = attach_agent(self, ctx)
        parts = attach_supervisor(self, ctx)
        if parts.dock is not None and self._restored:
            self.restoreDockWidget(parts.dock)  # the window's saved state was restored without it
        return True

    # -- building ------------------------------------------------------------------------------

    def _build_conflicts_dock(self) -> None:
        dock = QDockWidget(tr("Sync conflicts"), self)
        dock.setObjectName("conflictsDock")
        dock.setAccessibleName(tr("Sync conflicts and refused changes"))
        dock.setAllowedAreas(Qt.DockWidgetArea.BottomDockWidgetArea | Qt.DockWidgetArea.RightDockWidgetArea)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetClosable | QDockWidget.DockWidgetFeature.DockWidgetMovable
        )
        dock.visibilityChanged.connect(self._conflicts_visibility)
        # below the tabs: the resolve view compares base, theirs and mine side by side and needs width
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
        dock.hide()
        self.conflicts_dock = dock

    def _build_tool_bar(self) -> None:
        bar = QToolBar(tr("Main tool bar"), self)
        bar.setObjectName("mainToolBar")
        bar.setAccessibleName(tr("Main tool bar"))
        bar.setMovable(False)
        if self.search is not None:
            bar.addWidget(self.search)
        spacer = QWidget(bar)
        spacer.setAccessibleName(tr("Spacer"))
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        bar.addWidget(spacer)
        names = ("new_customer", "conflicts", "toggle_theme", "help", "about")
        for name in names if self.ctx is not None else names[2:]:
            action = self.actions_by_name[name]
            bar.addAction(action)
            button = bar.widgetForAction(action)
            if button is not None:
                button.setAccessibleName(action.text())
        self.addToolBar(bar)
        self.tool_bar = bar

    def _connect_actions(self) -> None:
        a = self.actions_by_name
        a["search"].triggered.connect(self.focus_search)
        a["help"].triggered.connect(self.help_overlay.toggle)
        a["about"].triggered.connect(self.show_about)
        a["toggle_theme"].triggered.connect(self.toggle_theme)
        a["quit"].triggered.connect(self.close)
        a["conflicts"].triggered.connect(self.toggle_conflicts)
        a["new_customer"].triggered.connect(lambda _checked=False: self.open_new_customer())
        self.status.conflictsRequested.connect(self.show_conflicts)
        if self.tabs is not None:
            a["next_tab"].triggered.connect(self.tabs.next_tab)
            a["previous_tab"].triggered.connect(self.tabs.previous_tab)
            a["close_tab"].triggered.connect(lambda: self.tabs.close_tab() if self.tabs else None)
            for name in ("new_note", "new_case", "log_interaction"):
                a[name].triggered.connect(lambda _checked=False, n=name: self.run_customer_action(n))

    # -- customers -----------------------------------------------------------------------------

    def open_customer(self, customer_id: str, *, fetch_history: bool = True) -> None:
        """Open (or bring to the front) the customer's tab."""
        if self.tabs is None:
            return
        self.tabs.open_customer(customer_id, fetch_history=fetch_history)
        self.pages.setCurrentWidget(self.tabs)
        self.customerShown.emit(customer_id)

    def _open_created(self, customer_id: str) -> None:
        # made here and not sent yet: the server does not know it, there is no history to ask for
        self.open_customer(customer_id, fetch_history=False)

    def open_new_customer(self, phone: str = "") -> "NewCustomerDialog | None":
        """The new-customer dialog (one at a time); what it creates or picks opens in a tab."""
        if self.ctx is None:
            self.status.showMessage(tr("Sign in first."), 4000)
            return None
        if self.new_customer_dialog is not None:
            self.new_customer_dialog.activateWindow()
            return self.new_customer_dialog
        from desktop.views.dialogs.new_customer import NewCustomerDialog

        dialog = NewCustomerDialog(self.ctx, self, phone=phone)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.created.connect(self._open_created)
        dialog.openExisting.connect(self.open_customer)
        dialog.finished.connect(self._new_customer_closed)
        self.new_customer_dialog = dialog
        dialog.open()
        return dialog

    def _new_customer_closed(self, _result: int) -> None:
        self.new_customer_dialog = None

    # -- conflicts -----------------------------------------------------------------------------

    def show_conflicts(self) -> None:
        """Show the conflicts dock (building its panel the first time) and focus its list."""
        dock = self.conflicts_dock
        if dock is None:
            return
        opening = not dock.isVisible()
        dock.show()  # builds the panel the first time (`_conflicts_visibility`)
        dock.raise_()
        if opening:
            bottom = self.dockWidgetArea(dock) == Qt.DockWidgetArea.BottomDockWidgetArea
            size, orientation = (
                (CONFLICTS_HEIGHT, Qt.Orientation.Vertical)
                if bottom
                else (CONFLICTS_WIDTH, Qt.Orientation.Horizontal)
            )
            self.resizeDocks([dock], [size], orientation)
        if self.conflicts_panel is not None:
            self.conflicts_panel.conflicts_view.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def toggle_conflicts(self) -> None:
        dock = self.conflicts_dock
        if dock is None:
            return
        if dock.isVisible():
            dock.hide()
        else:
            self.show_conflicts()

    def _conflicts_visibility(self, visible: bool) -> None:
        if (
            visible
            and self.conflicts_panel is None
            and self.ctx is not None
            and self.conflicts_dock is not None
        ):
            from desktop.views.conflicts.panel import ConflictsPanel

            panel = ConflictsPanel(self.ctx, self.conflicts_dock)
            panel.openCustomer.connect(self.open_customer)
            panel.countsChanged.connect(self._conflict_counts)
            self.conflicts_dock.setWidget(panel)
            self.conflicts_panel = panel
            panel.setMinimumSize(CONFLICTS_MIN_WIDTH, CONFLICTS_MIN_HEIGHT)
            self._conflict_counts(panel.conflicts_model.rowCount(), panel.rejected_model.rowCount())

    def _conflict_counts(self, conflicts: int, rejected: int) -> None:
        if self.conflicts_dock is not None:
            self.conflicts_dock.setWindowTitle(
                tr("Sync conflicts ({conflicts}) and refused changes ({rejected})").format(
                    conflicts=conflicts, rejected=rejected
                )
            )

    def _tabs_changed(self) -> None:
        if self.tabs is not None:
            self.pages.setCurrentWidget(self.tabs if self.tabs.count() else self.summary)

    def run_customer_action(self, name: str) -> None:
        """New note / new case / log interaction on the current customer's screen."""
        if self.tabs is None or not self.tabs.run_action(name):
            self.status.showMessage(tr("Open a customer first."), 4000)

    def focus_search(self) -> None:
        if self.search is None:
            return
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        if isinstance(self.search, QLineEdit):
            self.search.selectAll()

    # -- session feedback ----------------------------------------------------------------------

    def show_status(self, status: "SyncStatus") -> None:
        self.status.show_status(status)

    def show_notice(self, text: str | None) -> None:
        """A banner over the tabs (offline start, keyring trouble); None hides it."""
        self.notice.setText(text or "")
        self.notice.setVisible(bool(text))
        if text:
            self.add_activity(text)

    def add_activity(self, text: str) -> None:
        """A line at the top of the activity panel, which opens if it was collapsed."""
        self.activity.insertItem(0, text)
        first, second = self.splitter.sizes()
        if second == 0:
            self.splitter.setSizes([max(first - ACTIVITY_WIDTH, 0), ACTIVITY_WIDTH])

    def show_rejection(self, rejection: "Rejection") -> None:
        self.add_activity(
            tr("A change to a {entity} was refused by the server: {reason}").format(
                entity=rejection.entity, reason=rejection.reason
            )
        )

    def show_about(self) -> None:
        dialog = AboutDialog(
            cache_path=self.ctx.cache.path if self.ctx is not None else None,
            log_path=self.log_path or Path(),
            server_url=self.server_url,
            parent=self,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def toggle_theme(self) -> None:
        app = QApplication.instance()
        if not isinstance(app, QApplication):
            return
        other = THEMES[(THEMES.index(current_theme(app).name) + 1) % len(THEMES)]
        apply_theme(app, other)
        for item in SHORTCUTS:
            if item.icon is not None:
                self.actions_by_name[item.name].setIcon(icon(item.icon))
        if self.settings is not None:
            self.settings.setValue(THEME_KEY, other)

    # -- UI state ------------------------------------------------------------------------------

    def restore_ui(self, *, tabs: bool = True) -> None:
        """Geometry, tool bar and splitter state, and (unless `tabs=False`: `restore_tabs` later)
        the open tabs of the last session."""
        self._restored = True
        settings = self.settings
        if settings is None:
            return
        for key, restore in (
            (GEOMETRY_KEY, self.restoreGeometry),
            (STATE_KEY, self.restoreState),
            (SPLITTER_KEY, self.splitter.restoreState),
        ):
            value = settings.value(key)
            if isinstance(value, QByteArray) and not value.isEmpty():
                restore(value)
        self._tabs_pending = True
        if tabs:
            self.restore_tabs()

    def restore_tabs(self) -> None:
        """Reopen the tabs of the last session (once; their screens read the cache, so a window
        shown before its cache's engines are open restores them when they are: desktop/app.py)."""
        if not self._tabs_pending or self.tabs is None or self.settings is None:
            return
        self._tabs_pending = False
        self.tabs.restore_state(self.settings)
        self._tabs_changed()

    def save_ui(self) -> None:
        settings = self.settings
        if settings is None:
            return
        settings.setValue(GEOMETRY_KEY, self.saveGeometry())
        settings.setValue(STATE_KEY, self.saveState())
        settings.setValue(SPLITTER_KEY, self.splitter.saveState())
        if self.tabs is not None and not self._tabs_pending:  # else the last session's tabs stay saved
            self.tabs.save_state(settings)
        settings.sync()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        super().paintEvent(event)
        if not self._painted:
            self._painted = True
            self.firstPainted.emit()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        self.save_ui()
        super().closeEvent(event)
