"""Rejected changes as a table: when, what record, which change, and the server's reason.

Small (the rejected log, at most `conflict_work.LIMIT` entries), held whole and reset on change.
"""

from datetime import datetime
from typing import Any, Final

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from desktop.services.conflict_work import RejectedChange
from desktop.views.conflicts.conflicts_model import entity_label, short
from desktop.views.i18n import tr

WHEN, RECORD, CHANGE, REASON = range(4)
#: the mutation id of a row
MUTATION_ID_ROLE: Final = Qt.ItemDataRole.UserRole + 1

AnyIndex = QModelIndex | QPersistentModelIndex


def op_label(op: str) -> str:
    labels = {
        "create": tr("New record"),
        "update": tr("Edit"),
        "delete": tr("Delete"),
        "append": tr("Added entry"),
        "command": tr("Request"),
    }
    return labels.get(op, op)


def when_text(at: str) -> str:
    """The local date and time of an ISO timestamp (the text itself when it is not one)."""
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        return at
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def change_text(change: RejectedChange) -> str:
    return f"{op_label(change.op)}: {entity_label(change.entity)}"


class RejectedModel(QAbstractTableModel):
    """The rejected log, newest first."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._changes: list[RejectedChange] = []

    def set_changes(self, changes: list[RejectedChange]) -> None:
        self.beginResetModel()
        self._changes = list(changes)
        self.endResetModel()

    def change_at(self, row: int) -> RejectedChange | None:
        return self._changes[row] if 0 <= row < len(self._changes) else None

    def row_of(self, mutation_id: str) -> int:
        return next((n for n, c in enumerate(self._changes) if c.mutation_id == mutation_id), -1)

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._changes)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else 4

    def headerData(  # noqa: N802
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        titles = [tr("When"), tr("Record"), tr("Change"), tr("Reason")]
        return titles[section] if 0 <= section < len(titles) else None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        change = self.change_at(index.row())
        if change is None:
            return None
        if role == MUTATION_ID_ROLE:
            return change.mutation_id
        if role == Qt.ItemDataRole.DisplayRole:
            return short(self._text(change, index.column()))
        if role == Qt.ItemDataRole.ToolTipRole:
            return change.sent_text() if index.column() == CHANGE else self._text(change, index.column())
        return None

    def _text(self, change: RejectedChange, column: int) -> str:
        if column == WHEN:
            return when_text(change.at)
        if column == RECORD:
            return f"{entity_label(change.entity)} {change.entity_id[:8]}…"
        if column == CHANGE:
            return change_text(change)
        return change.reason
