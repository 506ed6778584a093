"""The status bar: online/offline, priming progress, pending changes, conflicts, last sync time.

Everything comes from one `SyncStatus` value (`show_status`), delivered by the sync bridge on the
GUI thread; the bar keeps no state of its own beyond what it last showed. The conflicts count is
clickable (`conflictsRequested`): the window opens its conflicts panel from it.
"""

from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar, QWidget

from desktop.services.sync_status import SyncStateName, SyncStatus
from desktop.views.i18n import tr


def _state_text(status: SyncStatus) -> tuple[str, str]:
    """(the connection label's text, its style state) for `status`."""
    if status.state == "offline":
        return tr("Offline"), "offline"
    if status.state == "error":
        return tr("Sync problem"), "error"
    if status.state == "priming":
        return tr("Filling cache"), "online"
    if status.state == "syncing":
        return tr("Syncing"), "online"
    return tr("Online"), "online"


def _state_texts() -> list[str]:
    """Every text the connection label can show (its width is the widest, so it never jumps)."""
    states: tuple[SyncStateName, ...] = ("offline", "error", "priming", "syncing", "idle")
    return [_state_text(SyncStatus(state=state))[0] for state in states]


def local_time(iso: str | None) -> str:
    """An ISO time as local wall-clock time for the bar (HH:MM:SS), or "never"."""
    if not iso:
        return tr("never")
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    return moment.astimezone().strftime("%H:%M:%S")


class ClickableLabel(QLabel):
    """A label that says `clicked` on a left click (its keyboard twin is a window shortcut)."""

    clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(event.position().toPoint()):
            self.clicked.emit()
            event.accept()
            return
        super().mouseReleaseEvent(event)


class StatusBar(QStatusBar):
    """The main window's status bar; `server_label` and `user_label` say where and who."""

    #: the user clicked the conflicts count: show the conflicts panel
    conflictsRequested = Signal()  # noqa: N815 - Qt's naming

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statusBar")
        self.setAccessibleName(tr("Status bar"))
        self.connection_label = self._label("connectionState", tr("Connection"))
        # as wide as its widest text: a change of state (a customer scope priming) must not make
        # the bar, and with it the window's minimum width, grow
        metrics = self.connection_label.fontMetrics()
        self.connection_label.setMinimumWidth(max(metrics.horizontalAdvance(t) for t in _state_texts()))
        self.progress = QProgressBar(self)
        self.progress.setObjectName("primingProgress")
        self.progress.setAccessibleName(tr("Offline cache filling progress"))
        self.progress.setRange(0, 100)
        self.progress.setFixedWidth(140)
        # no taller than a label: showing it must not make the bar (and the window) grow
        self.progress.setMaximumHeight(self.fontMetrics().height())
        self.progress.setTextVisible(False)
        self.progress.setToolTip(tr("Filling the offline cache"))
        policy = self.progress.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        self.progress.setSizePolicy(policy)
        self.progress.setVisible(False)
        self.pending_label = self._label("pendingCount", tr("Changes waiting to be sent"))
        self.conflicts_label = ClickableLabel(self)
        self.conflicts_label.setObjectName("conflictCount")
        self.conflicts_label.setAccessibleName(tr("Conflicts to resolve"))
        self.conflicts_label.clicked.connect(self.conflictsRequested)
        self.last_sync_label = self._label("lastSync", tr("Last sync"))
        self.server_label = self._label("serverLabel", tr("Server"))
        self.user_label = self._label("userLabel", tr("Signed-in user"))
        self.addWidget(self.connection_label)
        self.addWidget(self.progress)
        for label in (self.pending_label, self.conflicts_label, self.last_sync_label):
            self.addWidget(label)
        self.addPermanentWidget(self.server_label)
        self.addPermanentWidget(self.user_label)
        self.show_status(SyncStatus(state="offline"))
        self.last_sync_label.setText(tr("Last sync: {time}").format(time=tr("never")))

    def _label(self, name: str, accessible: str) -> QLabel:
        label = QLabel(self)
        label.setObjectName(name)
        label.setAccessibleName(accessible)
        return label

    def set_conflicts_hint(self, keys: str) -> None:
        """The conflicts count's tool tip names the shortcut that also opens the panel."""
        self.conflicts_label.setToolTip(
            tr("Show the conflicts and refused changes ({keys})").format(keys=keys)
        )

    def show_session(self, server_url: str, user: str | None) -> None:
        self.server_label.setText(tr("Server: {server}").format(server=server_url))
        self.user_label.setText(tr("User: {user}").format(user=user or tr("not signed in")))

    def show_status(self, status: SyncStatus) -> None:
        """Show `status` (connection, progress while priming, counts, last sync)."""
        text, state = _state_text(status)
        self.connection_label.setText(text)
        self.connection_label.setToolTip(status.last_error or "")
        self._restyle(self.connection_label, "state", state)
        priming = status.state == "priming"
        self.progress.setVisible(priming)
        if priming:
            self.progress.setValue(max(0, min(100, status.percent)))
        self.pending_label.setText(tr("{n} pending").format(n=status.pending))
        self._restyle(self.pending_label, "active", "true" if status.pending else "false")
        conflicts = tr("{n} conflict") if status.conflicts == 1 else tr("{n} conflicts")
        self.conflicts_label.setText(conflicts.format(n=status.conflicts))
        self._restyle(self.conflicts_label, "active", "true" if status.conflicts else "false")
        if status.last_success:
            self.last_sync_label.setText(tr("Last sync: {time}").format(time=local_time(status.last_success)))

    @staticmethod
    def _restyle(label: QLabel, name: str, value: str) -> None:
        if label.property(name) == value:
            return
        label.setProperty(name, value)
        style = label.style()
        style.unpolish(label)
        style.polish(label)
