"""The sync engine on a worker thread, seen by the GUI as Qt signals on the GUI thread.

The engine is Qt-free and reports through callbacks that run on its own thread; the bridge turns
each into a private signal connected with a *queued* connection to a slot of the bridge, which
re-emits the public signal on the GUI thread. So a plain function connected to `status_changed` never
runs on the worker, whatever Qt would guess for it.

`stop()` sets the stop event, wakes the engine and joins the worker; it is idempotent and safe to
call before `start()`.
"""

import logging
import threading
from collections.abc import Callable
from typing import Final

from PySide6.QtCore import QObject, Qt, Signal, Slot

from desktop.services.api import ServerEvent
from desktop.services.store import Changed
from desktop.services.sync import SyncEngine
from desktop.services.sync_status import Rejection, SyncStatus

log = logging.getLogger(__name__)

#: how long `stop()` waits for the worker: a cycle in flight ends at its next step or time-out
STOP_TIMEOUT_S: Final = 35.0

#: runs the engine until the event is set (default: `engine.run_forever`)
Runner = Callable[[SyncEngine, threading.Event], None]
EngineFactory = Callable[
    [Callable[[SyncStatus], None], Callable[[Changed], None], Callable[[Rejection], None]], SyncEngine
]


def _run_forever(engine: SyncEngine, stop: threading.Event) -> None:
    engine.run_forever(stop)


class SyncBridge(QObject):
    """Owns the sync worker thread; forwards status, changes and rejections to the GUI thread."""

    status_changed = Signal(object)  # SyncStatus
    changed = Signal(object)  # desktop.services.store.Changed
    rejected = Signal(object)  # Rejection
    #: a contact-centre event from the server (`incoming_contact`, `queue_snapshot`, `broadcast`…)
    server_event = Signal(object)  # desktop.services.api.ServerEvent

    _status_posted = Signal(object)
    _event_posted = Signal(object)
    _changed_posted = Signal(object)
    _rejected_posted = Signal(object)

    def __init__(
        self,
        make_engine: EngineFactory,
        *,
        runner: Runner = _run_forever,
        parent: QObject | None = None,
    ) -> None:
        """`make_engine(on_status, on_changed, on_rejected)` builds the engine with these callbacks."""
        super().__init__(parent)
        queued = Qt.ConnectionType.QueuedConnection
        self._status_posted.connect(self._relay_status, queued)
        self._changed_posted.connect(self._relay_changed, queued)
        self._rejected_posted.connect(self._relay_rejected, queued)
        self._event_posted.connect(self._relay_event, queued)
        self._stop = threading.Event()
        self._runner = runner
        self._thread: threading.Thread | None = None
        self._last: SyncStatus | None = None
        self.engine = make_engine(
            self._status_posted.emit, self._changed_posted.emit, self._rejected_posted.emit
        )
        self.engine.on_event = self._event_posted.emit

    @property
    def status(self) -> SyncStatus | None:
        """The last status delivered on the GUI thread (None before the first)."""
        return self._last

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the worker (once)."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._work, name="liaison-sync", daemon=True)
        self._thread.start()

    def request_sync(self) -> None:
        """After a local edit: ask the engine to push soon (thread-safe, never blocks)."""
        self.engine.request_sync()

    def stop(self, timeout_s: float = STOP_TIMEOUT_S) -> bool:
        """Stop the engine and join its thread; False if it did not end within `timeout_s`."""
        self._stop.set()
        self.engine.wake.set()
        thread = self._thread
        if thread is None:
            return True
        thread.join(timeout_s)
        if thread.is_alive():
            log.warning("the sync worker did not stop within %.0f s", timeout_s)
            return False
        return True

    def _work(self) -> None:
        try:
            self._runner(self.engine, self._stop)
        except Exception:
            log.exception("the sync worker failed")
            self.engine.board.update(state="error", last_error="the sync stopped after an unexpected failure")

    @Slot(object)
    def _relay_status(self, status: SyncStatus) -> None:
        self._last = status
        self.status_changed.emit(status)

    @Slot(object)
    def _relay_changed(self, value: Changed) -> None:
        self.changed.emit(value)

    @Slot(object)
    def _relay_rejected(self, rejection: Rejection) -> None:
        self.rejected.emit(rejection)

    @Slot(object)
    def _relay_event(self, event: ServerEvent) -> None:
        self.server_event.emit(event)
