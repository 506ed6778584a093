"""The supervisor's page: the queue panel over the agent board, the alerts list and a broadcast button.

Data: a GET /api/v1/queues when the panel starts, then every SSE `queue_snapshot` (at most one a
second) from `ctx.hub.server_event`, and — while no snapshot has arrived for `poll_s` — a slow GET
as a fallback (the event stream is down, or the server sends none). Every picture is decoded and
worked out on the network lane (`queue_watch_picture`, `queue_watch_state.WatchState.advance`:
diff, alerts, sparklines); a picture older than the last one is dropped there. The GUI thread only
applies the updates, in their order (one that overtook another on the pool waits for it; if one
never comes, the models catch up from the whole state, the one time they are reset). Each model
asks the panel which rows its view shows (`shown_rows`), so the changes of rows off screen are
announced in a few coarse ranges that repaint nothing (`keyed_rows`).

Timers run only while the panel is shown: the poll check and the once-a-second repaint of the
visible agents' time in state and queues' oldest wait (the server sends a snapshot only when
something happened; the times in between are the desktop's to advance).
"""

import logging
import time
from collections.abc import Callable
from typing import Final

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.services.api import ServerEvent
from desktop.services.queue_watch import TREND_COLUMN
from desktop.services.queue_watch_picture import (
    QUEUES_PATH,
    NotSupervising,
    picture_from_queues,
    picture_from_snapshot,
)
from desktop.services.queue_watch_state import Update, WatchState
from desktop.views.context import ViewContext
from desktop.views.i18n import tr
from desktop.views.icons import icon
from desktop.views.supervisor.agent_board_model import AgentBoardModel
from desktop.views.supervisor.alert_notifier import AlertNotifier
from desktop.views.supervisor.cell_table import CellTable
from desktop.views.supervisor.messages import failure_text
from desktop.views.supervisor.queue_model import QUEUE_ID_ROLE, QueueModel
from desktop.views.supervisor.sparkline_delegate import SparklineDelegate
from wire.telephony import SSE_QUEUE_SNAPSHOT, Broadcast

log = logging.getLogger(__name__)

#: updates that may wait for an earlier one before the models catch up from the whole state
MAX_WAITING: Final = 3
#: fetch the queues when no snapshot came for this long
POLL_S: Final = 10.0
TICK_MS: Final = 1000


def shown_rows(view: QTableView) -> tuple[int, int]:
    """The first and last row `view` shows (partly shown ones included), (0, -1) when it shows
    none (no rows, or the view is hidden: it repaints everything when shown again)."""
    rows = view.model().rowCount()
    if not rows or not view.isVisible():
        return 0, -1
    first = view.rowAt(0)
    last = view.rowAt(view.viewport().height() - 1)
    return max(first, 0), last if last >= 0 else rows - 1


class SupervisorPanel(QWidget):
    """Queues, agents, alerts and broadcasts for a supervisor; `clock` is monotonic seconds."""

    #: a picture was applied (its `at`, epoch seconds)
    pictureApplied = Signal(float)  # noqa: N815 - Qt's naming
    #: a broadcast was sent (wire.telephony.Broadcast)
    broadcastSent = Signal(object)  # noqa: N815 - Qt's naming

    def __init__(
        self,
        ctx: ViewContext,
        parent: QWidget | None = None,
        *,
        poll_s: float = POLL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("supervisorPanel")
        self.setAccessibleName(tr("Supervisor: queues and agents"))
        self._ctx = ctx
        self._poll_s = poll_s
        self._clock = clock
        self.state = WatchState()
        self._shown = 0
        self._waiting: dict[int, Update] = {}
        self._last_snapshot = float("-inf")
        self._loading = False
        #: pictures applied and GETs sent (tests, status)
        self.applied = 0
        self.fetches = 0

        self.queue_model = QueueModel(clock, self)
        self.agent_model = AgentBoardModel(clock, self)
        self.queue_view = self._table(self.queue_model, tr("Queues"), "queueTable")
        self.sparklines = SparklineDelegate(self.queue_view)
        self.queue_view.setItemDelegateForColumn(TREND_COLUMN, self.sparklines)  # its size hint
        self.queue_view.set_column_painter(TREND_COLUMN, self.sparklines)
        self.queue_view.horizontalHeader().setSectionResizeMode(TREND_COLUMN, QHeaderView.ResizeMode.Fixed)
        self.queue_view.setColumnWidth(TREND_COLUMN, 120)
        self.agent_view = self._table(self.agent_model, tr("Agents"), "agentBoard")
        self.notifier = AlertNotifier(self, icon("app"))
        self.queue_model.visible_rows = lambda: shown_rows(self.queue_view)
        self.agent_model.visible_rows = lambda: shown_rows(self.agent_view)

        self.message = QLabel(self)
        self.message.setObjectName("supervisorMessage")
        self.message.setAccessibleName(tr("Queue panel status"))
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setWordWrap(True)
        self.broadcast_button = QPushButton(tr("Broadcast…"), self)
        self.broadcast_button.setObjectName("broadcastButton")
        self.broadcast_button.setAccessibleName(tr("Broadcast a message to agents"))
        self.broadcast_button.clicked.connect(lambda _checked=False: self.open_broadcast())

        top = QHBoxLayout()
        top.addWidget(self.message, 1)
        top.addWidget(self.broadcast_button)
        lower = QSplitter(Qt.Orientation.Horizontal, self)
        lower.addWidget(self.agent_view)
        lower.addWidget(self.notifier.log)
        lower.setStretchFactor(0, 3)
        lower.setStretchFactor(1, 1)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.setObjectName("supervisorSplitter")
        split.addWidget(self.queue_view)
        split.addWidget(lower)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(split, 1)

        self.poll_timer = QTimer(self)
        self.poll_timer.setObjectName("supervisorPoll")
        self.poll_timer.setInterval(max(100, int(poll_s * 1000 / 2)))
        self.poll_timer.timeout.connect(self.poll_if_quiet)
        self.tick_timer = QTimer(self)
        self.tick_timer.setObjectName("supervisorTick")
        self.tick_timer.setInterval(TICK_MS)
        self.tick_timer.timeout.connect(self.refresh_visible_times)
        ctx.hub.server_event.connect(self.on_server_event)
        self.broadcast_dialog: QWidget | None = None
        self._say(tr("Loading the queues…"))
        self.fetch()

    def _table(self, model: QueueModel | AgentBoardModel, name: str, object_name: str) -> CellTable:
        view = CellTable(self)
        view.setObjectName(object_name)
        view.setAccessibleName(name)
        view.setModel(model)
        view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        view.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        view.setSortingEnabled(False)
        view.setWordWrap(False)
        view.horizontalHeader().setAccessibleName(tr("{table}: columns").format(table=name))
        view.verticalHeader().setAccessibleName(tr("{table}: rows").format(table=name))
        view.verticalHeader().hide()
        view.verticalHeader().setDefaultSectionSize(24)
        view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        view.horizontalHeader().setStretchLastSection(True)
        return view

    # -- data ------------------------------------------------------------------------------------

    def fetch(self) -> None:
        """GET the whole picture (start, and the fallback while no snapshot arrives)."""
        api = self._ctx.api
        if api is None:
            self._say(tr("Not connected to the server: the queues show once signed in."))
            return
        self.fetches += 1
        self._loading = True
        state = self.state
        self._ctx.tasks.network(
            lambda: state.advance(picture_from_queues(api.send("GET", QUEUES_PATH, retry=True))),
            done=self._fetched,
            failed=self._failed,
        )

    def poll_if_quiet(self) -> None:
        if not self._loading and self._clock() - self._last_snapshot >= self._poll_s:
            self.fetch()

    def on_server_event(self, event: ServerEvent) -> None:
        if event.event != SSE_QUEUE_SNAPSHOT:
            return
        self._last_snapshot = self._clock()
        data, state = event.data, self.state
        self._ctx.tasks.network(
            lambda: state.advance(picture_from_snapshot(data)), done=self.deliver, failed=self._failed
        )

    def _fetched(self, update: Update | None) -> None:
        self._loading = False
        self.deliver(update)

    def deliver(self, update: Update | None) -> None:
        """Apply `update` in its turn (None: its picture was older than one already seen)."""
        if update is None:
            return
        if update.seq <= self._shown:
            return
        self._waiting[update.seq] = update
        while self._shown + 1 in self._waiting:
            self.apply(self._waiting.pop(self._shown + 1))
        if len(self._waiting) > MAX_WAITING:  # an update is lost (its task failed): catch up
            missed = [
                event for u in sorted(self._waiting.values(), key=lambda u: u.seq) for event in u.events
            ]
            self._waiting.clear()
            self.apply(self.state.full())
            self.notifier.handle(missed)

    def apply(self, update: Update) -> None:
        """Show `update` (on the GUI thread, in sequence order)."""
        self._loading = False
        self._shown = update.seq
        self.queue_model.apply(update)
        if update.full or update.queues.added or update.queues.removed:
            self.agent_model.set_queue_names(self.queue_model.queue_names())
        self.agent_model.apply(update.agents, full=update.full)
        self.notifier.handle(list(update.events))
        self.applied += 1
        if (
            update.full
            or update.queues.added
            or update.queues.removed
            or update.agents.added
            or update.agents.removed
        ):
            self._say(
                tr("{queues} queues, {agents} agents").format(
                    queues=len(self.queue_model.rows), agents=len(self.agent_model.rows)
                )
            )
        self.pictureApplied.emit(update.at)

    def _failed(self, exc: BaseException) -> None:
        self._loading = False
        if isinstance(exc, NotSupervising):
            self._say(tr("The queue panel and the agent board are for supervisors and admins."))
            return
        log.warning("the queue picture failed: %s", type(exc).__name__)
        self._say(failure_text(exc, tr("load the queues")))

    def _say(self, text: str) -> None:
        self.message.setText(text)

    # -- time in state ---------------------------------------------------------------------------

    def refresh_visible_times(self) -> None:
        """Once a second: the visible agents' time in state and the visible queues' oldest wait."""
        for view, refresh in (
            (self.agent_view, self.agent_model.refresh_times),
            (self.queue_view, self.queue_model.refresh_waits),
        ):
            if view.model().rowCount():
                refresh(*shown_rows(view))

    # -- broadcasts ------------------------------------------------------------------------------

    def selected_queue(self) -> str | None:
        current = self.queue_view.currentIndex()
        value = current.data(QUEUE_ID_ROLE) if current.isValid() else None
        return value if isinstance(value, str) else None

    def open_broadcast(self) -> QWidget:
        """The broadcast dialog, for the selected queue's agents by default."""
        from desktop.views.supervisor.broadcast_dialog import BroadcastDialog

        dialog = BroadcastDialog(
            self._ctx, self.queue_model.queue_names(), self, queue_id=self.selected_queue()
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.sent.connect(self._broadcast_sent)
        dialog.finished.connect(self._broadcast_closed)
        self.broadcast_dialog = dialog
        dialog.open()
        return dialog

    def _broadcast_sent(self, broadcast: Broadcast) -> None:
        self._say(tr("Broadcast sent."))
        self.broadcastSent.emit(broadcast)

    def _broadcast_closed(self, _result: int) -> None:
        self.broadcast_dialog = None

    # -- timers follow visibility; colours follow the theme ---------------------------------------

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self.queue_model.theme_changed()
            self.sparklines.theme_changed()
        super().changeEvent(event)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self.poll_timer.start()
        self.tick_timer.start()

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802 - Qt's name
        self.poll_timer.stop()
        self.tick_timer.stop()
        super().hideEvent(event)
