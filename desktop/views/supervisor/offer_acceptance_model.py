"""One acceptance table (per offer, or per queue): a name column and the figures, sorted in the model.

The rows are `desktop.services.offer_acceptance.AcceptanceLine`s. `sort(column, order)` orders the
model's own list with the service's keys and tells the views with `layoutChanged` (persistent
indexes moved), so a header click never runs a proxy's Python comparisons through `data()`. A new
report keeps the chosen order: `set_lines` sorts before it resets the model (a report comes every
few minutes, so one reset per report is cheap and keeps the code plain).

Rates read as percentages with one decimal ("42.9 %"), counts are right-aligned, and every cell has
an accessible text that says what the number is ("Accepted: 12"), for screen readers. No colours
of its own: the view's palette paints it, so it follows the light and dark themes.
"""

from collections.abc import Sequence
from typing import Any, Final

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from desktop.services.offer_acceptance import AcceptanceLine, sorted_lines
from desktop.views.i18n import tr

#: the offer id or queue id of a row ("" for responses made outside a queue)
KEY_ROLE: Final = Qt.ItemDataRole.UserRole + 1
#: the raw value of a cell (the name, a count, or the rate as a 0-1 fraction), for tests and copying
VALUE_ROLE: Final = Qt.ItemDataRole.UserRole + 2

COLUMN_COUNT: Final = 6
RATE_COLUMN: Final = 5
AnyIndex = QModelIndex | QPersistentModelIndex
_LEFT: Final = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
_RIGHT: Final = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


def rate_text(rate: float) -> str:
    """A 0-1 rate as a percentage with one decimal: 0.4285 → "42.9 %"."""
    return tr("{value} %").format(value=f"{rate * 100:.1f}")


def _figure_titles() -> tuple[str, ...]:
    """The headers, short so five figures and a name fit side by side in the dock."""
    return (tr("Responses"), tr("Accepted"), tr("Declined"), tr("Not now"), tr("Rate"))


def _figure_names() -> tuple[str, ...]:
    """What each figure is, in full: screen readers and the header's accessible text."""
    return (tr("Responses"), tr("Accepted"), tr("Declined"), tr("Not now"), tr("Acceptance rate"))


def _figure_tips() -> tuple[str, ...]:
    return (
        tr("Every answer recorded in the window: accepted, declined or not now"),
        tr("Answers where the customer took the offer"),
        tr("Answers where the customer said no"),
        tr("Answers where the customer asked to be offered it another time"),
        tr("Acceptance rate: accepted divided by responses"),
    )


class AcceptanceModel(QAbstractTableModel):
    """Lines of one acceptance table; `name_title` heads the first column ("Offer", "Queue")."""

    def __init__(self, name_title: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.lines: list[AcceptanceLine] = []
        self._titles = (name_title, *_figure_titles())
        self._names = (name_title, *_figure_names())
        self._tips = (name_title, *_figure_tips())
        #: the chosen order: None keeps the server's order
        self.sorted_by: tuple[int, Qt.SortOrder] | None = None

    # -- contents --------------------------------------------------------------------------------

    def set_lines(self, lines: Sequence[AcceptanceLine]) -> None:
        """Show `lines` (a new report), in the chosen order if one was chosen."""
        ordered = list(lines)
        if self.sorted_by is not None:
            column, order = self.sorted_by
            ordered = sorted_lines(ordered, column, descending=order == Qt.SortOrder.DescendingOrder)
        self.beginResetModel()
        self.lines = ordered
        self.endResetModel()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < COLUMN_COUNT:
            return
        self.sorted_by = (column, order)
        self.layoutAboutToBeChanged.emit()
        before = self.lines
        self.lines = sorted_lines(before, column, descending=order == Qt.SortOrder.DescendingOrder)
        position = {id(line): row for row, line in enumerate(self.lines)}
        persistent = self.persistentIndexList()
        self.changePersistentIndexList(
            persistent,
            [
                self.index(position[id(before[index.row()])], index.column())
                if index.isValid() and index.row() < len(before)
                else QModelIndex()
                for index in persistent
            ],
        )
        self.layoutChanged.emit()

    # -- Qt's model interface --------------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: N802, B008 - Qt's API
        return 0 if parent.isValid() else len(self.lines)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: N802, B008 - Qt's API
        return 0 if parent.isValid() else COLUMN_COUNT

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.lines):
            return None
        line = self.lines[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return line.name
            value = line.figure(column)
            return rate_text(float(value)) if column == RATE_COLUMN else str(value)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _LEFT if column == 0 else _RIGHT
        if role == Qt.ItemDataRole.AccessibleTextRole:
            shown = self.data(index, Qt.ItemDataRole.DisplayRole)
            return (
                shown
                if column == 0
                else tr("{title}: {value}").format(title=self._names[column], value=shown)
            )
        if role == Qt.ItemDataRole.ToolTipRole and column == RATE_COLUMN:
            return tr("{accepted} of {offered} responses accepted").format(
                accepted=line.accepted, offered=line.offered
            )
        if role == KEY_ROLE:
            return line.key
        if role == VALUE_ROLE:
            return line.name if column == 0 else line.figure(column)
        return None

    def headerData(  # noqa: N802 - Qt's API
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < COLUMN_COUNT:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._titles[section]
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return self._names[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tips[section]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _LEFT if section == 0 else _RIGHT
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
