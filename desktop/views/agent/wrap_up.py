"""The wrap-up dialog of after-contact work: the queue's disposition codes and a note.

"Save" emits `submitted(WrapUpRequest)`; the desk sends it and calls `saved()` (the dialog closes)
or `failed(message)` (the dialog stays open with what the agent wrote and says why, so nothing is
lost while the server is down; "Save" again retries). The dialog cannot be dismissed with Escape
while the contact waits for its wrap-up: ACW ends with a disposition.
"""

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from desktop.services.contact_centre import DispositionCode
from desktop.views.i18n import tr
from desktop.views.message_label import error_label
from wire.telephony import MAX_TEXT, WrapUpRequest


class WrapUpDialog(QDialog):
    """Disposition and note for one contact."""

    submitted = Signal(object)  # a wire.telephony.WrapUpRequest

    def __init__(
        self,
        contact_id: str,
        caller: str,
        codes: list[DispositionCode],
        customer_id: str | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("wrapUpDialog")
        self.setWindowTitle(tr("Wrap up"))
        self.setAccessibleName(tr("Wrap up the contact"))
        self.contact_id = contact_id
        self.customer_id = customer_id
        heading = QLabel(tr("Wrap up the contact with {caller}").format(caller=caller), self)
        heading.setTextFormat(Qt.TextFormat.PlainText)
        self.codes = QComboBox(self)
        self.codes.setObjectName("dispositionCodes")
        self.codes.setAccessibleName(tr("Disposition"))
        for code in codes:
            self.codes.addItem(code.label, code.code)
        self.note = QPlainTextEdit(self)
        self.note.setObjectName("wrapUpNote")
        self.note.setAccessibleName(tr("Note"))
        self.note.setPlaceholderText(tr("What was the contact about? (shown on the customer's timeline)"))
        self.error = error_label(self)
        self.buttons = QDialogButtonBox(self)
        self.save_button = self.buttons.addButton(tr("Save"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.save_button.setObjectName("wrapUpSave")
        self.buttons.accepted.connect(self.submit)
        form = QFormLayout()
        form.addRow(tr("Disposition"), self.codes)
        form.addRow(tr("Note"), self.note)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        if not codes:
            self._show_error(tr("No disposition codes are known for this queue yet: sync, then try again."))
        self.resize(460, 300)

    def request(self) -> WrapUpRequest | None:
        code = self.codes.currentData()
        if not isinstance(code, str) or not code:
            return None
        return WrapUpRequest(
            disposition_code=code,
            note=self.note.toPlainText().strip()[:MAX_TEXT],
            customer_id=self.customer_id,
        )

    def submit(self) -> None:
        request = self.request()
        if request is None:
            self._show_error(tr("Choose a disposition."))
            return
        self.save_button.setEnabled(False)
        self.error.hide()
        self.submitted.emit(request)

    def saved(self) -> None:
        self.accept()

    def failed(self, message: str) -> None:
        """The server did not take it: keep everything and say why; Save tries again."""
        self.save_button.setEnabled(True)
        self._show_error(
            tr("Not saved: {reason}. Your wrap-up is kept here; Save to try again.").format(reason=message)
        )

    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        if event.key() == Qt.Key.Key_Escape:
            event.ignore()
            return
        super().keyPressEvent(event)
