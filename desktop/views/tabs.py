"""The customer tabs: several customers open at once, one screen per tab, reopened on restart.

The customer screen (`desktop.views.customer.screen.CustomerScreen`) is imported lazily, when the
first tab opens: it is the heaviest part of the window and the shell must start without it. While
that module does not exist (it is built separately) a tab shows `CustomerSummary`, the customer's
name from the cache, so the shell stays usable and testable on its own.

The shell's customer actions (new note, new case, log interaction) go to the current screen:
`focus_note()`, `open_new_case()`, `open_log_interaction()` (the customer screen's methods).

**A spare screen** (screen pop, bench/screen_pop.py): building a customer screen means creating and
style-polishing some hundred widgets (50-85 ms on the bench machine), so a pop should not build one.
When the screen class can be refilled (`show_customer`), the tabs keep one hidden, empty screen, not
a tab: a pop fills it (`show_customer(id)`: the cache reads and a few `setText`s) and adds it as the
new tab; a fresh spare is built afterwards, when the event loop has painted the pop (a posted event
of low priority, so no timer outlives the window); a closed tab's screen becomes the spare when
there is none. Screens are created inside the tab widget's page stack, their final parent, so adding
one as a tab re-parents nothing (re-parenting re-resolves the style of the whole subtree).

**On-demand history** (SYNC.md §1): opening a customer whose whole history no held scope covers
(an agent's customer outside their queues, a server search result not in the cache) asks the server
for the customer on the network lane — the server grants this client `customer:<id>` for 24 h —
records the grant on the write lane (`customer_scopes`) and asks the engine to sync; the pulled rows
reach the screen through `hub.changed`. A customer created here and not yet sent is not asked for.
"""

import importlib
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final, Protocol, cast

from PySide6.QtCore import QCoreApplication, QEvent, QSettings, QSize, Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QLabel,
    QStackedWidget,
    QTabBar,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.services.store.changed import Changed
from desktop.views.context import ViewContext
from desktop.views.i18n import tr
from desktop.views.icons import icon

if TYPE_CHECKING:  # the window is built before SQLAlchemy is imported (desktop/app.py)
    from desktop.services import customer_scopes
    from desktop.services.store.database import Writer

log = logging.getLogger(__name__)

SCREEN_MODULE: Final = "desktop.views.customer.screen"
OPEN_KEY: Final = "tabs/open"
CURRENT_KEY: Final = "tabs/current"
#: customer actions the shell's shortcuts send to the current screen → the screen's method for each
ACTIONS: Final = {
    "new_note": "focus_note",
    "new_case": "open_new_case",
    "log_interaction": "open_log_interaction",
}


#: the tab widget's page stack (Qt's object name for it): the parent every screen is created in
PAGE_STACK: Final = "qt_tabwidget_stackedwidget"
#: posted to the tabs to build the spare screen once the pending work (the pop's paint) is done
SPARE_EVENT: Final = QEvent.Type(QEvent.registerEventType())


class ScreenFactory(Protocol):
    def __call__(self, ctx: ViewContext, customer_id: str, parent: QWidget | None = None) -> QWidget: ...


class SpareFactory(Protocol):
    """A screen class whose screens can be built empty (`customer_id` None) and filled later."""

    def __call__(
        self, ctx: ViewContext, customer_id: str | None, parent: QWidget | None = None
    ) -> QWidget: ...


class Refillable(Protocol):
    """A screen that shows another customer in place (`CustomerScreen.show_customer`)."""

    def show_customer(self, customer_id: str | None) -> None: ...


class CustomerSummary(QWidget):
    """A customer's name and organisation from the cache: the tab's content without the full screen."""

    titleChanged = Signal(str)  # noqa: N815 - the customer screen's signal name

    def __init__(self, ctx: ViewContext, customer_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._customer_id = customer_id
        self._title = customer_id
        self.setAccessibleName(tr("Customer"))
        self.heading = QLabel(self)
        self.heading.setObjectName("placeholderTitle")
        self.heading.setAccessibleName(tr("Customer name"))
        self.detail = QLabel(self)
        self.detail.setObjectName("muted")
        self.detail.setAccessibleName(tr("Customer details"))
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.detail)
        layout.addStretch(1)
        ctx.hub.changed.connect(self._on_changed)
        self.reload()

    @property
    def customer_id(self) -> str:
        return self._customer_id

    def title(self) -> str:
        return self._title

    def reload(self) -> None:
        from desktop.services.store.queries import customer

        with self._ctx.cache.read() as conn:
            found = customer(conn, self._customer_id)
        if found is None:
            title = tr("Unknown customer")
            detail = tr("This customer is not in the offline cache (yet).")
        else:
            values = found.customer.values
            title = str(values.get("display_name") or tr("Unnamed customer"))
            organisation = values.get("organisation") or values.get("organization") or ""
            detail = str(organisation)
        self.heading.setText(title)
        self.detail.setText(detail)
        if title != self._title:
            self._title = title
            self.titleChanged.emit(title)

    def _on_changed(self, changed: Changed) -> None:
        if self._customer_id in changed.ids("customer"):
            self.reload()


def screen_factory() -> ScreenFactory:
    """The customer screen class, or `CustomerSummary` while that module does not exist."""
    try:
        module = importlib.import_module(SCREEN_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name != SCREEN_MODULE:
            raise  # the screen exists but something it imports is missing: a real fault
        log.info("no customer screen module: tabs show the customer summary")
        return CustomerSummary
    return cast(ScreenFactory, module.CustomerScreen)


class CustomerTabs(QTabWidget):
    """One tab per open customer; opening an open customer switches to its tab."""

    #: the ids of the open customers changed (opened, closed, moved)
    customersChanged = Signal()  # noqa: N815 - Qt's naming, as the other signals of the views
    #: a screen's message for the status bar (an edit refused or failed)
    problem = Signal(str)
    #: the server granted a customer's scope and the grant is recorded (the customer id)
    historyGranted = Signal(str)  # noqa: N815

    def __init__(
        self, ctx: ViewContext, parent: QWidget | None = None, factory: ScreenFactory | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("customerTabs")
        self.setAccessibleName(tr("Open customers"))
        # our own close buttons (below): themed icon, an accessible name per customer
        self.setTabsClosable(False)
        self.setMovable(True)
        self.setDocumentMode(True)
        self.setUsesScrollButtons(True)
        self._ctx = ctx
        self._factory = factory
        stack = self.findChild(QStackedWidget, PAGE_STACK)
        self._stack: QWidget = stack if stack is not None else self
        #: the hidden, empty screen the next pop fills (never a tab); None until built
        self.spare: QWidget | None = None
        self._spare_posted = False
        #: the customer opened last (a new spare is painted once with it, see `_warm`)
        self._last_opened: str | None = None
        self.tabBar().tabMoved.connect(lambda _a, _b: self.customersChanged.emit())

    def _screen_factory(self) -> ScreenFactory:
        if self._factory is None:
            self._factory = screen_factory()
        return self._factory

    def customer_ids(self) -> list[str]:
        return [self._customer_id(i) for i in range(self.count())]

    def _screen(self, index: int) -> QWidget:
        screen = self.widget(index)
        if screen is None:
            raise IndexError(index)
        return screen

    def _customer_id(self, index: int) -> str:
        return str(self._screen(index).property("customerId"))

    def index_of(self, customer_id: str) -> int:
        for index in range(self.count()):
            if self._customer_id(index) == customer_id:
                return index
        return -1

    def current_screen(self) -> QWidget | None:
        return self.currentWidget()

    def open_customer(self, customer_id: str, *, fetch_history: bool = True) -> QWidget:
        """Show `customer_id`'s tab, opening it if needed; returns its screen. A newly opened
        customer whose history the cache does not hold is asked of the server (`fetch_history`)."""
        index = self.index_of(customer_id)
        if index >= 0:
            self.setCurrentIndex(index)
            return self._screen(index)
        if fetch_history:
            self.fetch_history(customer_id)
        screen = self._take_spare(customer_id)
        if screen is None:
            screen = self._wired(self._screen_factory()(self._ctx, customer_id, self._stack))
        screen.setProperty("customerId", customer_id)
        title = str(screen.title()) if hasattr(screen, "title") else customer_id
        index = self.addTab(screen, icon("customer"), title)
        self.setTabToolTip(index, title)
        self.tabBar().setTabButton(index, QTabBar.ButtonPosition.RightSide, self._close_button(screen, title))
        self.setCurrentIndex(index)
        self.customersChanged.emit()
        self._last_opened = customer_id
        self._post_spare()
        return screen

    # -- the spare screen --------------------------------------------------------------------------

    def _wired(self, screen: QWidget) -> QWidget:
        """Connect a new screen's signals to the tabs (once per screen: a spare is reused)."""
        signal = getattr(screen, "titleChanged", None)
        if signal is not None:
            signal.connect(lambda text, s=screen: self._retitle(s, text))
        problem = getattr(screen, "problem", None)
        if problem is not None:
            problem.connect(self.problem)
        return screen

    def _spare_factory(self) -> SpareFactory | None:
        factory = self._screen_factory()
        return cast(SpareFactory, factory) if hasattr(factory, "show_customer") else None

    def prepare_spare(self) -> bool:
        """Build the spare screen now, if the screen can be refilled and there is none; True when
        there is a spare afterwards. The shell may call this once the window is idle, so that even
        the first pop of a session fills a ready screen."""
        if self.spare is None:
            factory = self._spare_factory()
            if factory is None:
                return False
            screen = self._wired(factory(self._ctx, None, self._stack))
            # shown and hidden again before anything is painted: Qt polishes the widgets, creates
            # their state and lays them out at the page's size now rather than during the pop
            screen.resize(self._stack.size())
            screen.setUpdatesEnabled(False)  # and the page it covers is not repainted for it
            screen.show()
            screen.hide()
            screen.setUpdatesEnabled(True)
            self._warm(cast(Refillable, screen))
            self.spare = screen
        return True

    def _warm(self, screen: "Refillable") -> None:
        """Paint a new spare once, off screen, filled with the customer shown last: its widgets'
        first paint (text layouts, item sizes, scroll bars) then happens now rather than during
        the pop, which finds it like a screen that was a tab before (bench/screen_pop.py, `--spare
        fresh` against `recycled`). Emptied again afterwards: a spare shows nobody."""
        customer_id = self._last_opened
        widget = cast(QWidget, screen)
        if customer_id is None:
            return
        screen.show_customer(customer_id)
        widget.render(QPixmap(widget.size()))
        screen.show_customer(None)

    def _post_spare(self) -> None:
        if self.spare is None and not self._spare_posted:
            self._spare_posted = True
            QCoreApplication.postEvent(self, QEvent(SPARE_EVENT), Qt.EventPriority.LowEventPriority.value)

    def customEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        if event.type() == SPARE_EVENT:
            self._spare_posted = False
            self.prepare_spare()
            return
        super().customEvent(event)

    def _take_spare(self, customer_id: str) -> QWidget | None:
        """The spare screen filled with `customer_id` (None when there is no spare)."""
        screen, self.spare = self.spare, None
        if screen is not None:
            cast(Refillable, screen).show_customer(customer_id)
        return screen

    # -- on-demand history -------------------------------------------------------------------------

    def fetch_history(self, customer_id: str) -> bool:
        """Ask the server for the customer's scope when the cache does not hold its history; True
        when asked (the answer comes later, on the GUI thread)."""
        from desktop.services import customer_scopes

        ctx = self._ctx
        api = ctx.api
        if api is None:
            return False
        with ctx.cache.read() as conn:
            if not customer_scopes.wants_grant(conn, customer_id, datetime.now(UTC)):
                return False
        cache = ctx.cache
        ctx.tasks.network(
            lambda: customer_scopes.request_grant(api, cache, customer_id),
            done=lambda answer: self._granted(customer_id, answer),
            failed=self._grant_failed,
            key=f"customer-scope/{customer_id}",
        )
        return True

    def _granted(self, customer_id: str, answer: tuple[str, str]) -> None:
        scope, server_expiry = answer
        if not scope:
            log.info("the server showed a customer but opened no scope for it")
            return
        from desktop.services import customer_scopes

        ctx = self._ctx

        def record(writer: "Writer") -> "customer_scopes.Grant":
            return customer_scopes.record_grant(
                writer, scope, datetime.now(UTC), server_expires_at=server_expiry
            )

        def recorded(_grant: "customer_scopes.Grant") -> None:
            ctx.request_sync()
            self.historyGranted.emit(customer_id)

        ctx.tasks.write(record, done=recorded, failed=self._grant_failed)

    def _grant_failed(self, error: BaseException) -> None:
        from desktop.services.api_errors import NotFound, TransportError  # loaded by then (the request)

        if isinstance(error, TransportError):
            text = tr("Offline: this customer's full history is shown once the server can be reached.")
        elif isinstance(error, NotFound):
            text = tr("The server does not know this customer (yet).")
        else:
            text = tr("The customer's history could not be fetched: {problem}").format(
                problem=type(error).__name__
            )
        log.info("on-demand customer scope not opened: %s", type(error).__name__)
        self.problem.emit(text)

    def _close_button(self, screen: QWidget, title: str) -> QToolButton:
        button = QToolButton(self.tabBar())
        button.setObjectName("closeTab")
        button.setIcon(icon("close"))
        button.setAutoRaise(True)
        button.setIconSize(QSize(12, 12))
        button.setAccessibleName(tr("Close {customer}").format(customer=title))
        button.setToolTip(tr("Close (Ctrl+W)"))
        button.clicked.connect(lambda _checked=False, s=screen: self.close_tab(self.indexOf(s)))
        return button

    def _retitle(self, screen: QWidget, text: str) -> None:
        index = self.indexOf(screen)
        if index >= 0:
            self.setTabText(index, text)
            self.setTabToolTip(index, text)
            button = self.tabBar().tabButton(index, QTabBar.ButtonPosition.RightSide)
            if button is not None:
                button.setAccessibleName(tr("Close {customer}").format(customer=text))

    def close_tab(self, index: int | None = None) -> None:
        """Close the tab at `index` (default: the current one)."""
        at = self.currentIndex() if index is None else index
        if not 0 <= at < self.count():
            return
        screen = self._screen(at)
        self.removeTab(at)
        if self.spare is None and hasattr(screen, "show_customer"):
            cast(Refillable, screen).show_customer(None)  # emptied, kept for the next pop
            screen.setProperty("customerId", None)
            self.spare = screen
        else:
            screen.deleteLater()
        self.customersChanged.emit()

    def next_tab(self) -> None:
        if self.count():
            self.setCurrentIndex((self.currentIndex() + 1) % self.count())

    def previous_tab(self) -> None:
        if self.count():
            self.setCurrentIndex((self.currentIndex() - 1) % self.count())

    def run_action(self, name: str) -> bool:
        """Send a customer action to the current screen; False when no screen takes it."""
        screen = self.currentWidget()
        method = ACTIONS.get(name)
        handler = getattr(screen, method, None) if screen is not None and method else None
        if handler is None:
            return False
        handler()
        return True

    # -- state kept across restarts (UI state only: customer ids, never their data) ---------------

    def save_state(self, settings: QSettings) -> None:
        settings.setValue(OPEN_KEY, self.customer_ids())
        settings.setValue(CURRENT_KEY, self.currentIndex())

    def restore_state(self, settings: QSettings) -> None:
        """Reopen the tabs of the last session, in order, with the same one current."""
        stored = settings.value(OPEN_KEY, [])
        if isinstance(stored, str):
            ids = [stored]
        elif isinstance(stored, list):
            ids = [str(i) for i in stored]
        else:
            ids = []
        for customer_id in ids:
            if customer_id:
                self.open_customer(customer_id)
        current = settings.value(CURRENT_KEY, 0)
        try:
            index = int(cast(int, current))
        except (TypeError, ValueError):
            index = 0
        if 0 <= index < self.count():
            self.setCurrentIndex(index)
