""" "Log interaction": a call note, a field visit or a partner contact, added to the timeline.

The dialog only gathers values (`values()`); the customer screen turns them into a local edit
(`case_work.log_interaction`) when the dialog is accepted. Open it with `open()` (window-modal),
never `exec()`, so the event loop keeps running.
"""

from dataclasses import dataclass

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from desktop.services.case_work import INTERACTION_KINDS, InteractionKind
from desktop.services.customer_screen import CaseSummary
from desktop.views.i18n import tr
from desktop.views.message_label import error_label


def kind_label(kind: InteractionKind) -> str:
    labels = {
        "call_note": tr("Call note"),
        "field_visit": tr("Field visit"),
        "partner_contact": tr("Partner contact"),
    }
    return labels[kind]


@dataclass(frozen=True)
class InteractionInput:
    kind: InteractionKind
    summary: str
    direction: str
    partner: str | None
    outcome: str | None
    case_id: str | None


class LogInteractionDialog(QDialog):
    """Kind, direction, summary, partner (for a partner contact), outcome and an optional case."""

    def __init__(
        self,
        customer_name: str,
        cases: list[CaseSummary],
        *,
        kind: InteractionKind = "call_note",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("logInteractionDialog")
        self.setWindowTitle(tr("Log interaction with {name}").format(name=customer_name))
        self.kind_box = QComboBox(self)
        self.kind_box.setAccessibleName(tr("Kind of interaction"))
        for value in INTERACTION_KINDS:
            self.kind_box.addItem(kind_label(value), value)
        self.kind_box.setCurrentIndex(self.kind_box.findData(kind))
        self.direction_box = QComboBox(self)
        self.direction_box.setAccessibleName(tr("Direction"))
        for direction, label in (("outbound", tr("We contacted them")), ("inbound", tr("They contacted us"))):
            self.direction_box.addItem(label, direction)
        self.summary_edit = QPlainTextEdit(self)
        self.summary_edit.setAccessibleName(tr("Summary"))
        self.summary_edit.setTabChangesFocus(True)
        self.partner_edit = QLineEdit(self)
        self.partner_edit.setAccessibleName(tr("Partner"))
        self.partner_edit.setPlaceholderText(tr("The partner's name"))
        self.outcome_edit = QLineEdit(self)
        self.outcome_edit.setAccessibleName(tr("Outcome"))
        self.case_box = QComboBox(self)
        self.case_box.setAccessibleName(tr("Case"))
        self.case_box.addItem(tr("No case"), None)
        for case in cases:
            self.case_box.addItem(f"{case.number} · {case.subject}", case.id)
        self.error = error_label(self)
        form = QFormLayout()
        form.addRow(tr("Kind"), self.kind_box)
        form.addRow(tr("Direction"), self.direction_box)
        form.addRow(tr("Summary"), self.summary_edit)
        self._partner_label = QLabel(tr("Partner"), self)
        form.addRow(self._partner_label, self.partner_edit)
        form.addRow(tr("Outcome"), self.outcome_edit)
        form.addRow(tr("Case"), self.case_box)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.kind_box.currentIndexChanged.connect(self._kind_changed)
        self._kind_changed()
        self.resize(460, 360)

    def _kind_changed(self) -> None:
        partner = self.kind_box.currentData() == "partner_contact"
        self.partner_edit.setVisible(partner)
        self._partner_label.setVisible(partner)

    def values(self) -> InteractionInput:
        kind: InteractionKind = self.kind_box.currentData()
        return InteractionInput(
            kind=kind,
            summary=self.summary_edit.toPlainText().strip(),
            direction=str(self.direction_box.currentData()),
            partner=(self.partner_edit.text().strip() or None) if kind == "partner_contact" else None,
            outcome=self.outcome_edit.text().strip() or None,
            case_id=self.case_box.currentData(),
        )

    def accept(self) -> None:
        """Close only when the values are complete; otherwise say what is missing."""
        given = self.values()
        problem = None
        if not given.summary:
            problem = tr("Write a summary.")
        elif given.kind == "partner_contact" and not given.partner:
            problem = tr("Name the partner.")
        if problem is not None:
            self.error.setText(problem)
            self.error.show()
            return
        super().accept()
