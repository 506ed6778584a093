""" "New case" for the customer on screen: subject, description, priority and the channel it came in by.

Like the log-interaction dialog it only gathers values; the screen writes the case
(`case_work.new_case`) when the dialog is accepted.
"""

from dataclasses import dataclass

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from desktop.domain import CHANNELS
from desktop.services.case_work import PRIORITIES
from desktop.views.customer.cases_model import priority_label
from desktop.views.customer.channel_style import channel_icon, channel_label
from desktop.views.i18n import tr
from desktop.views.message_label import error_label


@dataclass(frozen=True)
class CaseInput:
    subject: str
    description: str
    priority: str
    origin_channel: str


class NewCaseDialog(QDialog):
    """The fields of a new case; Save is refused (with a message) until there is a subject."""

    def __init__(self, customer_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("newCaseDialog")
        self.setWindowTitle(tr("New case for {name}").format(name=customer_name))
        self.subject_edit = QLineEdit(self)
        self.subject_edit.setAccessibleName(tr("Subject"))
        self.description_edit = QPlainTextEdit(self)
        self.description_edit.setAccessibleName(tr("Description"))
        self.description_edit.setTabChangesFocus(True)
        self.priority_box = QComboBox(self)
        self.priority_box.setAccessibleName(tr("Priority"))
        for priority in PRIORITIES:
            self.priority_box.addItem(priority_label(priority), priority)
        self.priority_box.setCurrentIndex(self.priority_box.findData("normal"))
        self.channel_box = QComboBox(self)
        self.channel_box.setAccessibleName(tr("Came in by"))
        for channel in CHANNELS:
            self.channel_box.addItem(channel_icon(channel), channel_label(channel), channel)
        self.error = error_label(self)
        form = QFormLayout()
        form.addRow(tr("Subject"), self.subject_edit)
        form.addRow(tr("Description"), self.description_edit)
        form.addRow(tr("Priority"), self.priority_box)
        form.addRow(tr("Came in by"), self.channel_box)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(460, 340)

    def values(self) -> CaseInput:
        return CaseInput(
            subject=self.subject_edit.text().strip(),
            description=self.description_edit.toPlainText().strip(),
            priority=str(self.priority_box.currentData()),
            origin_channel=str(self.channel_box.currentData()),
        )

    def accept(self) -> None:
        if not self.values().subject:
            self.error.setText(tr("Give the case a subject."))
            self.error.show()
            return
        super().accept()
