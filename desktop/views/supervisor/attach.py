"""Fitting the supervisor's parts into the main window.

- Everyone signed in gets the broadcast banner, above the notice line at the top of the window.
- Supervisors and admins also get the "Queues" dock, built the first time the dock is shown (so
  the window starts without it): two tabs, "Queues and agents" (the `SupervisorPanel`) and "Offer
  acceptance" (the `OfferAcceptanceView`, which loads its report the first time its tab is shown;
  each tab's timers run only while it is visible), with a tool-bar button and the `supervisor`
  shortcut (Ctrl+Shift+P) to show or hide it; the dock opens at start for them (their saved window
  state, restored later, may close it again). For other users the shortcut's action is disabled and
  hidden: the server would refuse them the panel anyway (403).
"""

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QBoxLayout, QDockWidget, QMainWindow, QTabWidget

from desktop.views.context import ViewContext
from desktop.views.i18n import tr
from desktop.views.supervisor.broadcast_banner import BroadcastBanner

if TYPE_CHECKING:
    from desktop.views.supervisor.offer_acceptance_view import OfferAcceptanceView
    from desktop.views.supervisor.panel import SupervisorPanel

#: the roles that see the queue panel and agent board
SUPERVISING_ROLES: Final = frozenset({"supervisor", "admin"})
DOCK_HEIGHT: Final = 420
DOCK_MIN: Final = (480, 240)


def supervises(ctx: ViewContext) -> bool:
    return ctx.user is not None and bool(SUPERVISING_ROLES & set(ctx.user.roles))


@dataclass
class SupervisorParts:
    """What `attach_supervisor` added (kept alive by their Qt parent, the window)."""

    ctx: ViewContext
    banner: BroadcastBanner
    dock: QDockWidget | None = None
    panel: "SupervisorPanel | None" = field(default=None)
    acceptance: "OfferAcceptanceView | None" = field(default=None)
    tabs: QTabWidget | None = None

    def show_panel(self) -> "SupervisorPanel | None":
        """Show the dock (building the panel the first time) and return the panel."""
        if self.dock is not None:
            self.dock.show()
            self.dock.raise_()
            self._build()
        return self.panel

    def toggle(self) -> None:
        if self.dock is not None and self.dock.isVisible():
            self.dock.hide()
        else:
            self.show_panel()

    def _build(self) -> None:
        if self.panel is not None or self.dock is None:
            return
        from desktop.views.supervisor.offer_acceptance_view import OfferAcceptanceView
        from desktop.views.supervisor.panel import SupervisorPanel

        tabs = QTabWidget(self.dock)
        tabs.setObjectName("supervisorTabs")
        tabs.setAccessibleName(tr("Supervisor views"))
        tabs.setDocumentMode(True)
        self.panel = SupervisorPanel(self.ctx, tabs)
        self.acceptance = OfferAcceptanceView(self.ctx, tabs)
        tabs.addTab(self.panel, tr("Queues and agents"))
        tabs.addTab(self.acceptance, tr("Offer acceptance"))
        tabs.setMinimumSize(*DOCK_MIN)
        self.tabs = tabs
        self.dock.setWidget(tabs)

    def show_acceptance(self) -> "OfferAcceptanceView | None":
        """Show the dock on its "Offer acceptance" tab and return that view."""
        self.show_panel()
        if self.tabs is not None and self.acceptance is not None:
            self.tabs.setCurrentWidget(self.acceptance)
        return self.acceptance


def attach_supervisor(window: QMainWindow, ctx: ViewContext) -> SupervisorParts:
    """Add the banner (everyone) and the queue dock with its action (supervisors, admins)."""
    central = window.centralWidget()
    layout = central.layout() if central is not None else None
    banner = BroadcastBanner(ctx, central)
    if isinstance(layout, QBoxLayout):
        layout.insertWidget(0, banner)
    parts = SupervisorParts(ctx, banner)
    actions = getattr(window, "actions_by_name", {})
    action = actions.get("supervisor")
    if not supervises(ctx):
        if action is not None:
            action.setEnabled(False)
            action.setVisible(False)
        return parts
    dock = QDockWidget(tr("Queues and agents"), window)
    dock.setObjectName("supervisorDock")
    dock.setAccessibleName(tr("Queues and agents"))
    dock.setFeatures(
        QDockWidget.DockWidgetFeature.DockWidgetClosable
        | QDockWidget.DockWidgetFeature.DockWidgetMovable
        | QDockWidget.DockWidgetFeature.DockWidgetFloatable
    )
    window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
    parts.dock = dock
    dock.visibilityChanged.connect(lambda visible: parts._build() if visible else None)
    if action is not None:
        action.setIconText(tr("Queues"))
        action.triggered.connect(lambda _checked=False: parts.toggle())
        bar = getattr(window, "tool_bar", None)
        theme_action = actions.get("toggle_theme")
        if bar is not None and theme_action is not None:
            bar.insertAction(theme_action, action)
            button = bar.widgetForAction(action)
            if button is not None:
                button.setAccessibleName(action.text())
    window.resizeDocks([dock], [DOCK_HEIGHT], Qt.Orientation.Vertical)
    dock.show()  # the panel is built when the window (and so the dock) becomes visible
    return parts
