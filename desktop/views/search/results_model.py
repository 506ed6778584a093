"""The search results: customers found in the cache or on the server, and the "search the server" row.

A list of at most a few dozen results (the cache query is bounded to 20), so the model holds them.
The last row may be an action instead of a customer: "Search the server for …", offered when the
cache is not primed or found nothing and a server is configured.
"""

from dataclasses import dataclass
from typing import Any, Final, Literal

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt

from desktop.views.i18n import tr

ResultKind = Literal["customer", "server_action"]
#: the customer id of a customer row (None for the action row)
CUSTOMER_ID_ROLE: Final = Qt.ItemDataRole.UserRole + 1
#: "customer" or "server_action"
KIND_ROLE: Final = Qt.ItemDataRole.UserRole + 2
#: the second line of a customer row (organisation, account number, where it was found)
DETAIL_ROLE: Final = Qt.ItemDataRole.UserRole + 3

AnyIndex = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True, slots=True)
class Result:
    customer_id: str
    name: str
    organisation: str | None
    account_number: str
    #: found in the local cache, or only on the server
    from_server: bool = False
    do_not_contact: bool = False

    def detail(self) -> str:
        parts = [p for p in (self.organisation, self.account_number) if p]
        if self.do_not_contact:
            parts.append(tr("do not contact"))
        if self.from_server:
            parts.append(tr("from the server"))
        return " · ".join(parts)


class ResultsModel(QAbstractListModel):
    """Customers first, then (optionally) the "search the server" action."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._results: list[Result] = []
        self._query = ""
        self._offer_server = False

    def set_results(self, query: str, results: list[Result], *, offer_server: bool) -> None:
        self.beginResetModel()
        self._query = query
        self._results = list(results)
        self._offer_server = offer_server
        self.endResetModel()

    def clear(self) -> None:
        self.set_results("", [], offer_server=False)

    @property
    def query(self) -> str:
        return self._query

    @property
    def results(self) -> list[Result]:
        return list(self._results)

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802 - Qt's signature
        if parent.isValid():
            return 0
        return len(self._results) + (1 if self._offer_server else 0)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < self.rowCount():
            return None
        row = index.row()
        if row >= len(self._results):
            if role == KIND_ROLE:
                return "server_action"
            if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
                return tr("Search the server for “{query}”").format(query=self._query)
            return None
        result = self._results[row]
        if role == KIND_ROLE:
            return "customer"
        if role == CUSTOMER_ID_ROLE:
            return result.customer_id
        if role == DETAIL_ROLE:
            return result.detail()
        if role == Qt.ItemDataRole.DisplayRole:
            return result.name
        if role in (Qt.ItemDataRole.AccessibleTextRole, Qt.ItemDataRole.ToolTipRole):
            detail = result.detail()
            return f"{result.name} ({detail})" if detail else result.name
        return None
