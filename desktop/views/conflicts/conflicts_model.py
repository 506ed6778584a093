"""Open sync conflicts as a table: the record, the field, their value, my value and the state.

The list is small (a user's open conflicts, at most `conflict_work.LIMIT`) so the model holds the
summaries and is reset when the conflicts change. Also here: how conflict values, fields and
record kinds are written for people, shared with the resolve view.
"""

import json
from typing import Any, Final

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont, QGuiApplication, QPalette

from desktop.services.conflict_work import OpenConflict
from desktop.views.i18n import tr

RECORD, FIELD, THEIRS, MINE, STATE = range(5)
#: the conflict id of a row
CONFLICT_ID_ROLE: Final = Qt.ItemDataRole.UserRole + 1
#: a value shown in a cell is cut to this many characters (the resolve view shows it whole)
_CELL_CHARS: Final = 80

AnyIndex = QModelIndex | QPersistentModelIndex


def entity_label(entity: str) -> str:
    labels = {
        "customer": tr("Customer"),
        "contact_point": tr("Contact point"),
        "external_ref": tr("External reference"),
        "case": tr("Case"),
    }
    return labels.get(entity, entity.replace("_", " ").capitalize())


def field_label(field: str) -> str:
    labels = {
        "*": tr("Whole record"),
        "possible_duplicate": tr("Possible duplicate"),
        "subject": tr("Subject"),
        "description": tr("Description"),
        "status": tr("Status"),
        "priority": tr("Priority"),
        "display_name": tr("Name"),
        "given_name": tr("Given name"),
        "family_name": tr("Family name"),
        "organisation": tr("Organisation"),
        "language": tr("Language"),
        "region": tr("Region"),
        "postcode": tr("Postcode"),
        "value": tr("Value"),
        "label": tr("Label"),
        "key": tr("Key"),
    }
    return labels.get(field, field.replace("_", " ").capitalize())


def format_value(value: Any) -> str:
    """A conflict value for reading: text as it is, yes/no, `(empty)`, changes as `field: value` lines."""
    if value is None or value == "":
        return tr("(empty)")
    if isinstance(value, bool):
        return tr("Yes") if value else tr("No")
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return "\n".join(f"{field_label(str(k))}: {format_value(v)}" for k, v in value.items())
    return json.dumps(value, ensure_ascii=False)


def short(text: str) -> str:
    """One line of at most `_CELL_CHARS` characters."""
    line = " ".join(text.split())
    return line if len(line) <= _CELL_CHARS else line[: _CELL_CHARS - 1] + "…"


def record_title(conflict: OpenConflict) -> str:
    """`Case · Ada Lovelace · CS-1 · Broken router`, or the kind and a short id when not cached."""
    record = conflict.record
    title = record.title or tr("{id}… (not in the cache)").format(id=record.entity_id[:8])
    return f"{entity_label(record.entity)} · {title}"


def theirs_text(conflict: OpenConflict) -> str:
    if conflict.kind == "deleted_remotely":
        return tr("Deleted on the server")
    if conflict.kind == "stale_delete":
        return tr("Changed on the server")
    if conflict.kind == "possible_duplicate":
        return tr("Another customer has this contact point")
    return format_value(conflict.theirs)


def mine_text(conflict: OpenConflict) -> str:
    if conflict.kind == "stale_delete":
        return tr("Your delete")
    return format_value(conflict.mine)


class ConflictsModel(QAbstractTableModel):
    """Open conflicts, oldest first; rows being resolved are shown muted and in italics."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._conflicts: list[OpenConflict] = []

    def set_conflicts(self, conflicts: list[OpenConflict]) -> None:
        self.beginResetModel()
        self._conflicts = list(conflicts)
        self.endResetModel()

    def conflict_at(self, row: int) -> OpenConflict | None:
        return self._conflicts[row] if 0 <= row < len(self._conflicts) else None

    def row_of(self, conflict_id: str) -> int:
        return next((n for n, c in enumerate(self._conflicts) if c.conflict_id == conflict_id), -1)

    def records(self) -> set[tuple[str, str]]:
        """(entity, id) of every record with a listed conflict."""
        return {(c.record.entity, c.record.entity_id) for c in self._conflicts}

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._conflicts)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else 5

    def headerData(  # noqa: N802
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        titles = [tr("Record"), tr("Field"), tr("Theirs (server)"), tr("Mine"), tr("State")]
        return titles[section] if 0 <= section < len(titles) else None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        conflict = self.conflict_at(index.row())
        if conflict is None:
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            text = self._text(conflict, index.column())
            return short(text) if role == Qt.ItemDataRole.DisplayRole else text
        if role == CONFLICT_ID_ROLE:
            return conflict.conflict_id
        if conflict.resolving and role == Qt.ItemDataRole.ForegroundRole:
            return QGuiApplication.palette().brush(QPalette.ColorRole.PlaceholderText)
        if conflict.resolving and role == Qt.ItemDataRole.FontRole:
            font = QFont()
            font.setItalic(True)
            return font
        return None

    def _text(self, conflict: OpenConflict, column: int) -> str:
        if column == RECORD:
            return record_title(conflict)
        if column == FIELD:
            return field_label(conflict.field)
        if column == THEIRS:
            return theirs_text(conflict)
        if column == MINE:
            return mine_text(conflict)
        return tr("Resolving…") if conflict.resolving else tr("Open")
