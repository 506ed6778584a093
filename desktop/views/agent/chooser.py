"""The chooser a pop shows when a number belongs to several customers.

The candidates come ranked by `screen_pop.rank` (open cases, then the last interaction), the best
one selected, so Enter takes it. This is a short list of the number's own customers, never a
generic search page. Double-click or "Open" emits `chosen(customer_id)`; "New customer" emits
`newCustomer()` (the caller is someone else at a shared number).
"""

from typing import Any, Final

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListView,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.services.screen_pop import PopCandidate
from desktop.views.agent.clock import parse_time
from desktop.views.i18n import tr

AnyIndex = QModelIndex | QPersistentModelIndex
CUSTOMER_ID_ROLE: Final = int(Qt.ItemDataRole.UserRole) + 1


def candidate_text(candidate: PopCandidate) -> str:
    name = candidate.display_name or tr("(no name)")
    if candidate.organisation:
        name = f"{name} — {candidate.organisation}"
    parts = [name]
    if candidate.account_number:
        parts.append(tr("account {number}").format(number=candidate.account_number))
    parts.append(tr("{count} open case(s)", n=candidate.open_cases).format(count=candidate.open_cases))
    last = parse_time(candidate.last_interaction_at)
    parts.append(
        tr("last contact {date}").format(date=last.date().isoformat()) if last else tr("no contact yet")
    )
    return " · ".join(parts)


class CandidatesModel(QAbstractListModel):
    """The candidates of one pop, in their ranked order."""

    def __init__(self, candidates: tuple[PopCandidate, ...] = (), parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._candidates = candidates

    def set_candidates(self, candidates: tuple[PopCandidate, ...]) -> None:
        self.beginResetModel()
        self._candidates = candidates
        self.endResetModel()

    def candidate(self, row: int) -> PopCandidate:
        return self._candidates[row]

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802 - Qt's name
        return 0 if parent.isValid() else len(self._candidates)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._candidates):
            return None
        candidate = self._candidates[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return candidate_text(candidate)
        if role == Qt.ItemDataRole.ToolTipRole:
            return candidate.customer_id
        if role == CUSTOMER_ID_ROLE:
            return candidate.customer_id
        return None


class CustomerChooser(QDialog):
    """Which of these customers is calling?"""

    chosen = Signal(str)
    newCustomer = Signal()  # noqa: N815 - Qt's naming

    def __init__(
        self, phone: str, candidates: tuple[PopCandidate, ...], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("customerChooser")
        self.setWindowTitle(tr("Who is calling?"))
        self.setAccessibleName(tr("Choose the calling customer"))
        self.phone = phone
        heading = QLabel(
            tr("{count} customers have the number {phone}. Choose the caller:").format(
                count=len(candidates), phone=phone
            ),
            self,
        )
        heading.setTextFormat(Qt.TextFormat.PlainText)
        heading.setWordWrap(True)
        self.model = CandidatesModel(candidates, self)
        self.view = QListView(self)
        self.view.setObjectName("chooserList")
        self.view.setAccessibleName(tr("Customers with this number"))
        self.view.setModel(self.model)
        self.view.setCurrentIndex(self.model.index(0, 0))
        self.view.doubleClicked.connect(lambda index: self._choose(index.row()))
        buttons = QDialogButtonBox(self)
        self.open_button = buttons.addButton(tr("Open"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.new_button = QPushButton(tr("New customer"), self)
        self.new_button.setObjectName("chooserNewCustomer")
        buttons.addButton(self.new_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(lambda: self._choose(self.view.currentIndex().row()))
        buttons.rejected.connect(self.reject)
        self.new_button.clicked.connect(self._new_customer)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.view, 1)
        layout.addWidget(buttons)
        self.resize(520, 320)

    def _choose(self, row: int) -> None:
        if not 0 <= row < self.model.rowCount():
            return
        self.chosen.emit(self.model.candidate(row).customer_id)
        self.accept()

    def _new_customer(self) -> None:
        self.newCustomer.emit()
        self.accept()
