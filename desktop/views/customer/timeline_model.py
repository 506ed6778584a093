"""The timeline's model: an id-based lazy list of a customer's interactions, grouped by day.

The ids of the filtered timeline come from one SQL query (`customer_screen.timeline_index`), with
the number of interactions per local day. The model's rows are those ids with one header row before
each day; a row maps to a header or an id by bisecting the header positions (one entry per day, not
per interaction). Interactions are fetched a page of `PAGE_SIZE` ids at a time when a row of the
page is first asked for, and the last `MAX_PAGES` pages are kept: scrolling to the end of 100,000
interactions reads only the pages it paints. `show_customer` points the model at another customer
with one reset (a customer screen is refilled in place rather than rebuilt).
"""

from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from typing import Any, Final

from PySide6.QtCore import QAbstractListModel, QDate, QLocale, QModelIndex, QPersistentModelIndex, Qt, QTime

from desktop.domain import Interaction
from desktop.services.customer_screen import TimelineFilter, TimelineIndex, timeline_index, timeline_rows
from desktop.services.store import Cache
from desktop.views.customer.channel_style import channel_label
from desktop.views.i18n import tr

PAGE_SIZE: Final = 100
MAX_PAGES: Final = 32

#: True for a day header row
HEADER_ROLE: Final = Qt.ItemDataRole.UserRole + 1
#: the row's `Interaction` (None for headers and rows that left the cache)
INTERACTION_ROLE: Final = Qt.ItemDataRole.UserRole + 2
#: the interaction's id (None for headers)
ID_ROLE: Final = Qt.ItemDataRole.UserRole + 3
#: the local time of day, "14:32"
TIME_ROLE: Final = Qt.ItemDataRole.UserRole + 4

AnyIndex = QModelIndex | QPersistentModelIndex


def local_time(occurred_at: str) -> datetime | None:
    try:
        return datetime.fromisoformat(occurred_at).astimezone()
    except ValueError:
        return None


def who(item: Interaction) -> str:
    """Channel, direction, rep and partner of an interaction: "Phone · inbound · Ana Ruiz"."""
    parts = [channel_label(item.channel)]
    if item.direction == "inbound":
        parts.append(tr("inbound"))
    elif item.direction == "outbound":
        parts.append(tr("outbound"))
    if item.agent_name:
        parts.append(item.agent_name)
    if item.partner:
        parts.append(tr("via {partner}").format(partner=item.partner))
    return " · ".join(parts)


def describe(item: Interaction) -> str:
    """One line of plain text for an interaction: what screen readers and copy get."""
    outcome = f" · {item.outcome}" if item.outcome else ""
    return f"{who(item)}{outcome}: {item.summary}"


class TimelineModel(QAbstractListModel):
    """Day headers and interactions of one customer, newest first, rows fetched lazily by id."""

    def __init__(
        self,
        cache: Cache,
        customer_id: str | None,
        *,
        today: Callable[[], date] = date.today,
        parent: Any = None,
    ) -> None:
        super().__init__(parent)
        self._cache = cache
        self._customer_id = customer_id
        self._today = today
        self._filter = TimelineFilter()
        self._index = TimelineIndex([], [])
        self._headers: list[int] = []
        self._pages: OrderedDict[int, dict[str, Interaction]] = OrderedDict()
        self._known: set[str] = set()
        #: SQL row fetches so far (one per page read): what a test of lazy loading counts
        self.fetch_count = 0
        self.reload()

    # -- what the screen drives ------------------------------------------------------------------

    @property
    def filter(self) -> TimelineFilter:
        return self._filter

    @property
    def customer_id(self) -> str | None:
        return self._customer_id

    def set_filter(self, flt: TimelineFilter) -> None:
        if flt != self._filter:
            self._filter = flt
            self.reload()

    def show_customer(self, customer_id: str | None, flt: TimelineFilter | None = None) -> None:
        """Show `customer_id`'s timeline (None: empty) through `flt` (default: everything), with
        one query and one model reset."""
        self._customer_id = customer_id
        self._filter = TimelineFilter() if flt is None else flt
        self.reload()

    def reload(self) -> None:
        """Read the filtered ids again (one query) and forget every fetched row."""
        found = TimelineIndex([], [])
        if self._customer_id is not None:
            with self._cache.read() as conn:
                found = timeline_index(conn, self._customer_id, self._filter)
        self.beginResetModel()
        self._index = found
        self._known = set(found.ids)
        self._pages.clear()
        headers, position = [], 0
        for _day, count in found.days:
            headers.append(position)
            position += count + 1
        self._headers = headers
        self.endResetModel()

    def shows(self, ids: Iterable[str]) -> bool:
        """Whether any of these interaction ids is in the current (filtered) timeline."""
        return not self._known.isdisjoint(ids)

    @property
    def interaction_count(self) -> int:
        return len(self._index.ids)

    @property
    def cached_rows(self) -> int:
        return sum(len(page) for page in self._pages.values())

    # -- row mapping -----------------------------------------------------------------------------

    def _locate(self, row: int) -> tuple[int, int | None]:
        """(day number, interaction number or None for the day's header row)."""
        day = bisect_right(self._headers, row) - 1
        start = self._headers[day]
        if row == start:
            return day, None
        before = start - day  # interactions of the earlier (newer) days
        return day, before + (row - start - 1)

    def _interaction(self, number: int) -> Interaction | None:
        page = number // PAGE_SIZE
        rows = self._pages.get(page)
        if rows is None:
            ids = self._index.ids[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
            with self._cache.read() as conn:
                rows = timeline_rows(conn, ids)
            self.fetch_count += 1
            self._pages[page] = rows
            while len(self._pages) > MAX_PAGES:
                self._pages.popitem(last=False)
        else:
            self._pages.move_to_end(page)
        return rows.get(self._index.ids[number])

    def _day_label(self, day: int) -> str:
        iso = self._index.days[day][0]
        try:
            when = date.fromisoformat(iso)
        except ValueError:
            return iso or tr("Unknown date")
        today = self._today()
        if when == today:
            return tr("Today")
        if when == today - timedelta(days=1):
            return tr("Yesterday")
        return QLocale().toString(QDate(when.year, when.month, when.day), "dddd d MMMM yyyy")

    # -- QAbstractItemModel ----------------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802 - Qt's signature
        if parent.isValid():
            return 0
        return len(self._index.ids) + len(self._index.days)

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        _day, number = self._locate(index.row())
        if number is None:
            return Qt.ItemFlag.ItemIsEnabled
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < self.rowCount():
            return None
        day, number = self._locate(index.row())
        if number is None:
            if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
                return self._day_label(day)
            if role == HEADER_ROLE:
                return True
            return None
        if role == HEADER_ROLE:
            return False
        if role == ID_ROLE:
            return self._index.ids[number]
        if role not in (
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.AccessibleTextRole,
            Qt.ItemDataRole.ToolTipRole,
            INTERACTION_ROLE,
            TIME_ROLE,
        ):
            return None
        item = self._interaction(number)
        if item is None:
            return tr("(no longer in the cache)") if role == Qt.ItemDataRole.DisplayRole else None
        if role == INTERACTION_ROLE:
            return item
        if role == TIME_ROLE:
            when = local_time(item.occurred_at)
            return (
                ""
                if when is None
                else QLocale().toString(QTime(when.hour, when.minute), QLocale.FormatType.ShortFormat)
            )
        return describe(item)
