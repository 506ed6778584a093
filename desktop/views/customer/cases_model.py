"""The open cases of one customer as a table: number, subject, status, priority and SLA countdown.

A customer has few open cases, so the model holds their summaries; `tick()` (from the screen's one
timer) only announces that the SLA column changed. The clock is injected so tests can stand at a
threshold. `show_customer` points the model at another customer (one reset, no new model), which is
how a customer screen is refilled in place; the header's titles are made once per model, because
the header view asks for them hundreds of times while it sizes its sections.
"""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Final

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from desktop.services.customer_screen import CaseSummary, open_cases
from desktop.services.store import Cache
from desktop.views.customer.sla import countdown, sla_colours, sla_state
from desktop.views.i18n import tr

NUMBER, SUBJECT, STATUS, PRIORITY, SLA = range(5)
#: the case id of a row
CASE_ID_ROLE: Final = Qt.ItemDataRole.UserRole + 1
#: the SLA state of a row: "none", "ok", "near" or "breached"
SLA_STATE_ROLE: Final = Qt.ItemDataRole.UserRole + 2

AnyIndex = QModelIndex | QPersistentModelIndex


def status_label(status: str) -> str:
    labels = {
        "new": tr("New"),
        "open": tr("Open"),
        "pending": tr("Pending"),
        "escalated": tr("Escalated"),
        "resolved": tr("Resolved"),
        "closed": tr("Closed"),
    }
    return labels.get(status, status)


def priority_label(priority: str) -> str:
    labels = {"low": tr("Low"), "normal": tr("Normal"), "high": tr("High"), "urgent": tr("Urgent")}
    return labels.get(priority, priority)


def utc_now() -> datetime:
    return datetime.now(UTC)


class CasesModel(QAbstractTableModel):
    """Open cases, soonest SLA first."""

    def __init__(
        self,
        cache: Cache,
        customer_id: str | None,
        *,
        clock: Callable[[], datetime] = utc_now,
        parent: Any = None,
    ) -> None:
        super().__init__(parent)
        self._cache = cache
        self._customer_id = customer_id
        self._clock = clock
        self._cases: list[CaseSummary] = []
        self._titles = (tr("Number"), tr("Subject"), tr("Status"), tr("Priority"), tr("Due in"))
        self.reload()

    @property
    def customer_id(self) -> str | None:
        return self._customer_id

    def show_customer(self, customer_id: str | None) -> None:
        """Show `customer_id`'s open cases (None: none) with one model reset."""
        self._customer_id = customer_id
        self.reload()

    def reload(self) -> None:
        found: list[CaseSummary] = []
        if self._customer_id is not None:
            with self._cache.read() as conn:
                found = open_cases(conn, self._customer_id)
        self.beginResetModel()
        self._cases = found
        self.endResetModel()

    def case_ids(self) -> set[str]:
        return {c.id for c in self._cases}

    def case_at(self, row: int) -> CaseSummary | None:
        return self._cases[row] if 0 <= row < len(self._cases) else None

    def row_of(self, case_id: str) -> int:
        return next((n for n, c in enumerate(self._cases) if c.id == case_id), -1)

    def tick(self) -> None:
        """Time moved on: repaint the SLA column."""
        if self._cases:
            self.dataChanged.emit(self.index(0, SLA), self.index(len(self._cases) - 1, SLA))

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802 - Qt's signature
        return 0 if parent.isValid() else len(self._cases)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802 - Qt's signature
        return 0 if parent.isValid() else 5

    def headerData(  # noqa: N802 - Qt's name
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role != Qt.ItemDataRole.DisplayRole or orientation != Qt.Orientation.Horizontal:
            return None
        return self._titles[section] if 0 <= section < len(self._titles) else None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        case = self.case_at(index.row())
        if case is None:
            return None
        column = index.column()
        if role == CASE_ID_ROLE:
            return case.id
        if role == SLA_STATE_ROLE:
            return sla_state(case.sla_due_at, self._clock())
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            if column == NUMBER:
                return case.number
            if column == SUBJECT:
                return case.subject
            if column == STATUS:
                return status_label(case.status)
            if column == PRIORITY:
                return priority_label(case.priority)
            if column == SLA:
                return countdown(case.sla_due_at, self._clock())
        if role == Qt.ItemDataRole.ToolTipRole and column == SUBJECT:
            return case.subject
        if column == SLA and role in (Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.ForegroundRole):
            colours = sla_colours(sla_state(case.sla_due_at, self._clock()))
            if colours is not None:
                return colours[0] if role == Qt.ItemDataRole.BackgroundRole else colours[1]
        return None
