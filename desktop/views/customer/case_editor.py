"""The case editor: status (only the transitions the state machine allows), priority, append-only
notes and escalate. Every change is a local edit on the task runner's write lane; the editor shows
the case again when `ChangeHub.changed` names it or one of its notes.
"""

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop.services import case_work
from desktop.services.customer_screen import CaseSummary, case, case_notes, owned_by
from desktop.services.store import Changed, Writer
from desktop.services.store.errors import LocalEditError
from desktop.views.context import ViewContext
from desktop.views.customer.cases_model import priority_label, status_label
from desktop.views.i18n import tr


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\n", "<br>")


class CaseEditor(QWidget):
    """Edits one case at a time; empty until `show_case`."""

    #: a user-facing message after an edit was refused or failed
    problem = Signal(str)

    def __init__(self, ctx: ViewContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("caseEditor")
        self._ctx = ctx
        self._case: CaseSummary | None = None
        self._note_ids: set[str] = set()

        self.heading = QLabel(tr("Choose a case to work on it."), self)
        self.heading.setWordWrap(True)
        font = self.heading.font()
        font.setBold(True)
        self.heading.setFont(font)
        self.status_box = QComboBox(self)
        self.status_box.setAccessibleName(tr("Case status"))
        self.priority_box = QComboBox(self)
        self.priority_box.setAccessibleName(tr("Case priority"))
        for priority in case_work.PRIORITIES:
            self.priority_box.addItem(priority_label(priority), priority)
        self.priority_box.setCurrentIndex(-1)
        self.save_button = QPushButton(tr("Save status and priority"), self)
        self.save_button.setAccessibleName(tr("Save status and priority"))
        self.save_button.clicked.connect(self.save)

        self.notes = QTextBrowser(self)
        self.notes.setAccessibleName(tr("Case notes"))
        self.notes.setOpenLinks(False)
        self.note_edit = QPlainTextEdit(self)
        self.note_edit.setAccessibleName(tr("New note"))
        self.note_edit.setPlaceholderText(tr("Write a note (notes cannot be changed once added)…"))
        self.note_edit.setTabChangesFocus(True)
        self.note_edit.setMaximumHeight(self.fontMetrics().lineSpacing() * 4 + 12)
        self.add_note_button = QPushButton(tr("Add note"), self)
        self.add_note_button.setAccessibleName(tr("Add note"))
        self.add_note_button.clicked.connect(self.add_note)
        self.reason_edit = QLineEdit(self)
        self.reason_edit.setAccessibleName(tr("Reason for escalating"))
        self.reason_edit.setPlaceholderText(tr("Reason for escalating"))
        self.escalate_button = QPushButton(tr("Escalate"), self)
        self.escalate_button.setAccessibleName(tr("Escalate the case"))
        self.escalate_button.clicked.connect(self.escalate)
        self.reason_edit.textChanged.connect(self._update_enabled)
        self.info = QLabel(self)
        self.info.setWordWrap(True)
        self.info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        form = QFormLayout()
        form.addRow(tr("Status"), self.status_box)
        form.addRow(tr("Priority"), self.priority_box)
        note_row = QHBoxLayout()
        note_row.addWidget(self.note_edit, 1)
        note_row.addWidget(self.add_note_button, 0, Qt.AlignmentFlag.AlignTop)
        escalate_row = QHBoxLayout()
        escalate_row.addWidget(self.reason_edit, 1)
        escalate_row.addWidget(self.escalate_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.heading)
        layout.addLayout(form)
        layout.addWidget(self.save_button, 0, Qt.AlignmentFlag.AlignRight)
        layout.addWidget(self.notes, 1)
        layout.addLayout(note_row)
        layout.addLayout(escalate_row)
        layout.addWidget(self.info)
        ctx.hub.changed.connect(self._on_changed)
        self._update_enabled()

    @property
    def case_id(self) -> str | None:
        return None if self._case is None else self._case.id

    def show_case(self, case_id: str | None) -> None:
        """Show this case (None: nothing) as the cache has it now."""
        found = None
        notes = []
        escalating = False
        if case_id is not None:
            with self._ctx.cache.read() as conn:
                found = case(conn, case_id)
                if found is not None:
                    notes = case_notes(conn, case_id)
                    escalating = case_work.pending_escalation(conn, case_id)
        self._case = found
        self._note_ids = {n.id for n in notes}
        self.status_box.clear()
        if found is None:
            self.heading.setText(tr("Choose a case to work on it."))
            self.priority_box.setCurrentIndex(-1)
            self.notes.clear()
            self.info.clear()
            self._update_enabled()
            return
        self.heading.setText(f"{found.number} · {found.subject}")
        self.status_box.addItem(status_label(found.status), found.status)
        for status in case_work.allowed_statuses(found.status):
            self.status_box.addItem(status_label(status), status)
        self.priority_box.setCurrentIndex(max(0, self.priority_box.findData(found.priority)))
        html = []
        for note in notes:
            byline = _escape(
                f"{note.author_name or tr('unknown')} · {note.created_at[:16].replace('T', ' ')}"
            )
            html.append(f"<p><b>{byline}</b><br>{_escape(note.body)}</p>")
        self.notes.setHtml("".join(html) or f"<p><i>{_escape(tr('No notes yet.'))}</i></p>")
        self.info.setText(tr("Escalation sent; waiting for the server.") if escalating else "")
        self._update_enabled()

    def clear_drafts(self) -> None:
        """Drop a half-written note and escalation reason (the screen moves to another customer)."""
        if self.note_edit.toPlainText():
            self.note_edit.clear()
        if self.reason_edit.text():
            self.reason_edit.clear()
        self.info.clear()

    def offered_statuses(self) -> list[str]:
        """The statuses the status box offers (the current one first)."""
        return [str(self.status_box.itemData(n)) for n in range(self.status_box.count())]

    def _update_enabled(self) -> None:
        has_case = self._case is not None
        for widget in (
            self.status_box,
            self.priority_box,
            self.save_button,
            self.note_edit,
            self.add_note_button,
        ):
            widget.setEnabled(has_case)
        can_escalate = has_case and "escalated" in case_work.allowed_statuses(
            self._case.status if self._case else ""
        )
        self.reason_edit.setEnabled(can_escalate)
        self.escalate_button.setEnabled(can_escalate and bool(self.reason_edit.text().strip()))

    # -- edits -----------------------------------------------------------------------------------

    def _write(self, work: Callable[[Writer], Changed], after: Callable[[], None]) -> None:
        def done(changed: Changed) -> None:
            self._ctx.hub.publish(changed)
            self._ctx.request_sync()
            after()

        self._ctx.tasks.write(work, done=done, failed=self._failed)

    def _failed(self, error: BaseException) -> None:
        message = str(error) if isinstance(error, LocalEditError) else tr("The change could not be saved.")
        self.info.setText(message)
        self.problem.emit(message)

    def save(self) -> None:
        if self._case is None:
            return
        case_id = self._case.id
        status = str(self.status_box.currentData())
        priority = str(self.priority_box.currentData())
        self._write(
            lambda w: case_work.change_case(w, case_id, status=status, priority=priority), lambda: None
        )

    def add_note(self) -> None:
        if self._case is None:
            return
        case_id, body, user = self._case.id, self.note_edit.toPlainText(), self._ctx.user
        if not body.strip():
            self.info.setText(tr("Write the note first."))
            return
        self._write(lambda w: case_work.add_note(w, case_id, body, user), self.note_edit.clear)

    def escalate(self) -> None:
        if self._case is None:
            return
        case_id, reason = self._case.id, self.reason_edit.text()
        self._write(lambda w: case_work.escalate(w, case_id, reason), self._escalated)

    def _escalated(self) -> None:
        self.reason_edit.clear()
        self.show_case(self.case_id)

    def _on_changed(self, changed: Changed) -> None:
        if self._case is None:
            return
        notes = changed.ids("case_note")
        if self._case.id in changed.ids("case") or (notes and self._touches_notes(notes)):
            self.show_case(self._case.id)

    def _touches_notes(self, note_ids: frozenset[str]) -> bool:
        if not self._note_ids.isdisjoint(note_ids):
            return True
        assert self._case is not None
        with self._ctx.cache.read() as conn:
            return bool(owned_by(conn, "case_note", note_ids, self._case.id, column="case_id"))
