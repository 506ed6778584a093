"""The agents' broadcast banner: a supervisor's message across the top of the main window.

Every signed-in user gets it: SSE `broadcast` events (`wire.telephony.Broadcast`, already addressed
by the server to the queue's agents or to everyone) show the newest message with its sender and
time until the user dismisses it; the count says how many arrived since the last dismissal.
"""

import logging
from datetime import datetime
from typing import TYPE_CHECKING

import pydantic
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from desktop.views.context import ViewContext
from desktop.views.i18n import tr
from wire.telephony import SSE_BROADCAST, Broadcast

if TYPE_CHECKING:  # for types only: the window is built before it needs the API client
    from desktop.services.api import ServerEvent

log = logging.getLogger(__name__)


def _time(at: str) -> str:
    try:
        return datetime.fromisoformat(at).astimezone().strftime("%H:%M")
    except ValueError:
        return at


class BroadcastBanner(QFrame):
    """Hidden until a broadcast arrives; the close button hides it until the next."""

    #: a broadcast was shown (wire.telephony.Broadcast)
    received = Signal(object)

    def __init__(self, ctx: ViewContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("broadcastBanner")
        self.setAccessibleName(tr("Broadcast from a supervisor"))
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.label = QLabel(self)
        self.label.setObjectName("broadcastText")
        self.label.setTextFormat(Qt.TextFormat.PlainText)  # the text is a person's: never markup
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.dismiss = QPushButton(tr("Dismiss"), self)
        self.dismiss.setObjectName("dismissBroadcast")
        self.dismiss.setAccessibleName(tr("Dismiss the broadcast"))
        self.dismiss.clicked.connect(self.dismiss_all)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.dismiss)
        #: broadcasts since the last dismissal, oldest first
        self.pending: list[Broadcast] = []
        ctx.hub.server_event.connect(self.on_server_event)
        self.hide()

    def on_server_event(self, event: "ServerEvent") -> None:
        if event.event != SSE_BROADCAST:
            return
        try:
            broadcast = Broadcast.model_validate(event.data)
        except pydantic.ValidationError:
            log.warning("a broadcast event that is not a Broadcast was ignored")
            return
        self.show_broadcast(broadcast)

    def show_broadcast(self, broadcast: Broadcast) -> None:
        if any(b.id == broadcast.id for b in self.pending):
            return
        self.pending.append(broadcast)
        text = tr("{sender} at {time}: {text}").format(
            sender=broadcast.sender, time=_time(broadcast.at), text=broadcast.text
        )
        if len(self.pending) > 1:
            text += "  " + tr("({n} messages)").format(n=len(self.pending))
        self.label.setText(text)
        self.show()
        self.received.emit(broadcast)

    def dismiss_all(self) -> None:
        self.pending.clear()
        self.hide()
