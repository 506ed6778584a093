"""What every view is handed: the cache, the task runner, the change hub and the session's services.

Views get a `ViewContext` in their constructor (no service locator, no global): they read the cache
with short bounded reads on the GUI thread, write through `tasks.write`, call the server through
`tasks.network`, and refresh when `hub.changed` says something they show has changed — whether the
change came from a local edit or from the sync engine.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSettings, Qt, QThread, Signal, Slot

if TYPE_CHECKING:  # for types only: importing this module must not import SQLAlchemy or httpx
    from desktop.services.api import ApiClient
    from desktop.services.store import Cache, Changed
    from desktop.views.tasks import TaskRunner
    from wire.auth import UserInfo


class ChangeHub(QObject):
    """The one place store changes are announced to views, always on the GUI thread.

    `publish` may be called from any thread (the sync bridge calls it from the engine's worker);
    off the GUI thread it is posted through a queued connection, so a plain function connected to
    `changed` never runs on a worker thread.
    """

    changed = Signal(object)  # a desktop.services.store.Changed, always emitted on the GUI thread
    #: a contact-centre event from the server (desktop.services.api.ServerEvent: `incoming_contact`,
    #: `queue_snapshot`, `broadcast`, …), on the GUI thread; the composition root connects the sync
    #: bridge's `server_event` to it
    server_event = Signal(object)
    _posted = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._posted.connect(self._relay, Qt.ConnectionType.QueuedConnection)

    def publish(self, changed: "Changed") -> None:
        """Announce `changed` to the views (empty values are not announced)."""
        if not changed:
            return
        if QThread.currentThread() is self.thread():
            self.changed.emit(changed)
        else:
            self._posted.emit(changed)

    @Slot(object)
    def _relay(self, changed: "Changed") -> None:
        self.changed.emit(changed)


@dataclass(eq=False)
class ViewContext:
    """The services a view may use; built once per session by the composition root.

    `user` and `api` are filled in when the session has signed in, which may be after the window
    was built from the cache (a kept sign-in shows the window first: `desktop/app.py`); views read
    them when they act, never keep them, and the window adds the parts that depend on the user's
    roles once the user is known (`MainWindow.attach_user_parts`). Nothing else changes."""

    cache: "Cache"  # cache.read() -> read-only connection for bounded GUI-thread reads
    tasks: "TaskRunner"
    hub: ChangeHub
    request_sync: Callable[[], None]  # ask the sync engine to push soon (after a local edit)
    user: "UserInfo | None" = None  # wire.auth.UserInfo of the signed-in user
    api: "ApiClient | None" = None  # only ever used inside tasks.network(...)
    settings: QSettings | None = None  # UI state (not secrets)
