"""Send a broadcast: to one queue's agents or to everyone, a short text (POST /api/v1/broadcasts).

The request runs on the network lane; the dialog stays open with the reason when it fails (an
agent's token gets "only supervisors and admins can send a broadcast", not a traceback) and closes
when the server has taken it. `sent` carries the server's `Broadcast`.
"""

import shiboken6
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from desktop.services.queue_watch_picture import BROADCASTS_PATH
from desktop.views.context import ViewContext
from desktop.views.i18n import tr
from desktop.views.message_label import error_label
from desktop.views.supervisor.messages import failure_text
from wire.telephony import MAX_TEXT, Broadcast, BroadcastRequest


class BroadcastDialog(QDialog):
    """Choose the audience (all agents or a queue's) and write the text."""

    sent = Signal(object)  # wire.telephony.Broadcast

    def __init__(
        self,
        ctx: ViewContext,
        queues: dict[str, str],
        parent: QWidget | None = None,
        *,
        queue_id: str | None = None,
    ) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.setObjectName("broadcastDialog")
        self.setWindowTitle(tr("Broadcast to agents"))
        self.setAccessibleName(tr("Broadcast to agents"))
        self.audience = QComboBox(self)
        self.audience.setAccessibleName(tr("Send to"))
        self.audience.addItem(tr("All agents"), None)
        for qid, name in sorted(queues.items(), key=lambda item: item[1].casefold()):
            self.audience.addItem(tr("Agents of {queue}").format(queue=name), qid)
        if queue_id is not None:
            self.audience.setCurrentIndex(max(0, self.audience.findData(queue_id)))
        self.text = QPlainTextEdit(self)
        self.text.setAccessibleName(tr("Message"))
        self.text.setPlaceholderText(tr("What every agent should know now"))
        self.error = error_label(self)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.send_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.send_button.setText(tr("Send"))
        self.send_button.setAccessibleName(tr("Send the broadcast"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setAccessibleName(tr("Cancel"))
        self.buttons.accepted.connect(self.send)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow(tr("Send to"), self.audience)
        form.addRow(tr("Message"), self.text)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    def send(self) -> None:
        text = self.text.toPlainText().strip()
        if not text:
            self._show_error(tr("Write a message first."))
            return
        if len(text) > MAX_TEXT:
            self._show_error(tr("A broadcast holds at most {n} characters.").format(n=MAX_TEXT))
            return
        api = self._ctx.api
        if api is None:
            self._show_error(tr("Not connected to the server."))
            return
        request = BroadcastRequest(queue_id=self.audience.currentData(), text=text)
        self.send_button.setEnabled(False)
        self.error.hide()
        self._ctx.tasks.network(
            lambda: Broadcast.model_validate_json(api.send("POST", BROADCASTS_PATH, body=request)),
            done=self._sent,
            failed=self._failed,
        )

    def _sent(self, broadcast: Broadcast) -> None:
        if not shiboken6.isValid(self):  # closed (and deleted) while the request was out
            return
        self.sent.emit(broadcast)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        if not shiboken6.isValid(self):
            return
        self.send_button.setEnabled(True)
        self._show_error(failure_text(exc, tr("send a broadcast")))

    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()
