"""The global search box: results as you type from the cache, keyboard navigable, and the server's
search when the cache cannot answer.

Each keystroke runs one bounded FTS query on the cache (names, phones in any format, emails, account
numbers, external keys, case numbers; at most `CACHE_LIMIT` hits) on the GUI thread, as
ARCHITECTURE.md allows for bounded reads. The server is asked (`ApiClient.search`, on the task
runner's network lane, keyed so an older answer never replaces a newer one) automatically when the
cache is not primed yet, and on request ("Search the server for …") when the cache found nothing.

Focus stays in the line edit: Up/Down/PageUp/PageDown move in the results, Enter opens the current
one (or the first), Escape closes the list. The list is a frameless child window under the box.
"""

from typing import TYPE_CHECKING, Final

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QHideEvent, QKeyEvent, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QLabel,
    QLineEdit,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from desktop.services.store.search_query import directory_primed, search
from desktop.views.context import ViewContext
from desktop.views.i18n import tr
from desktop.views.search.results_model import CUSTOMER_ID_ROLE, DETAIL_ROLE, KIND_ROLE, Result, ResultsModel

if TYPE_CHECKING:  # pydantic is imported with the sign-in, after the window has painted
    from wire.lookups import SearchResponse

CACHE_LIMIT: Final = 20
SERVER_LIMIT: Final = 20
#: typing pauses this long before an automatic server search (only while the cache is not primed)
SERVER_DELAY_MS: Final = 300
VISIBLE_ROWS: Final = 8


class _ResultDelegate(QStyledItemDelegate):
    """Name on the first line, organisation · account on the second, in the palette's colours."""

    def sizeHint(  # noqa: N802 - Qt's name
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        return QSize(200, option.fontMetrics.lineSpacing() * 2 + 10)

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        rect: QRect = option.rect
        palette: QPalette = option.palette
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        painter.save()
        if selected:
            painter.fillRect(rect, palette.color(QPalette.ColorRole.Highlight))
        main = palette.color(QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text)
        quiet = main if selected else palette.color(QPalette.ColorRole.PlaceholderText)
        metrics = painter.fontMetrics()
        spacing = metrics.lineSpacing()
        inner = rect.adjusted(8, 5, -8, -5)
        if index.data(KIND_ROLE) == "server_action":
            painter.setPen(palette.color(QPalette.ColorRole.Link) if not selected else main)
            painter.drawText(inner, Qt.AlignmentFlag.AlignVCenter, str(index.data()))
        else:
            painter.setPen(main)
            name = metrics.elidedText(str(index.data()), Qt.TextElideMode.ElideRight, inner.width())
            painter.drawText(QRect(inner.left(), inner.top(), inner.width(), spacing), 0, name)
            painter.setPen(quiet)
            detail = metrics.elidedText(
                str(index.data(DETAIL_ROLE) or ""), Qt.TextElideMode.ElideRight, inner.width()
            )
            painter.drawText(QRect(inner.left(), inner.top() + spacing, inner.width(), spacing), 0, detail)
        painter.restore()


class SearchBox(QWidget):
    """A line edit with a drop-down list of matching customers."""

    customerChosen = Signal(str)  # noqa: N815 - the shell's contract

    def __init__(self, ctx: ViewContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("searchBox")
        self._ctx = ctx
        self.edit = QLineEdit(self)
        self.edit.setObjectName("searchEdit")
        self.edit.setPlaceholderText(tr("Search customers: name, phone, email, account, case…"))
        self.edit.setAccessibleName(tr("Search customers"))
        self.edit.setClearButtonEnabled(True)
        self.edit.setMinimumWidth(320)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit)
        self.setFocusProxy(self.edit)

        self.model = ResultsModel(self)
        self.popup = QFrame(self, Qt.WindowType.ToolTip | Qt.WindowType.FramelessWindowHint)
        self.popup.setObjectName("searchPopup")
        self.popup.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
        self.popup.setFrameShape(QFrame.Shape.StyledPanel)
        self.list = QListView(self.popup)
        self.list.setObjectName("searchResults")
        self.list.setAccessibleName(tr("Search results"))
        self.list.setModel(self.model)
        self.list.setItemDelegate(_ResultDelegate(self.list))
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setUniformItemSizes(True)
        self.list.clicked.connect(self._activate)
        self.status = QLabel(self.popup)
        self.status.setObjectName("muted")
        self.status.setWordWrap(True)
        popup_layout = QVBoxLayout(self.popup)
        popup_layout.setContentsMargins(1, 1, 1, 1)
        popup_layout.setSpacing(0)
        popup_layout.addWidget(self.list)
        popup_layout.addWidget(self.status)

        self._server_timer = QTimer(self)
        self._server_timer.setSingleShot(True)
        self._server_timer.setInterval(SERVER_DELAY_MS)
        self._server_timer.timeout.connect(self.search_server)
        self.edit.textChanged.connect(self._typed)
        self.edit.installEventFilter(self)

    # -- searching -------------------------------------------------------------------------------

    def _typed(self, text: str) -> None:
        self._server_timer.stop()
        query = text.strip()
        if not query:
            self.model.clear()
            self.popup.hide()
            return
        with self._ctx.cache.read_raw() as conn:
            hits = search(conn, query, limit=CACHE_LIMIT)
            primed = directory_primed(conn)
        results = [Result(h.customer_id, h.display_name, h.organisation, h.account_number) for h in hits]
        can_ask = self._ctx.api is not None
        self.model.set_results(query, results, offer_server=can_ask and (not primed or not results))
        if not results:
            self.status.setText(tr("Nothing in the cache matches."))
        elif not primed:
            self.status.setText(tr("The cache is still filling; the server is asked too."))
        else:
            self.status.setText("")
        self.status.setVisible(bool(self.status.text()))
        if can_ask and not primed:
            self._server_timer.start()
        self._select_row(0)
        self._show_popup()

    def search_server(self) -> None:
        """Ask the server for the current query (network lane); its results replace the list's."""
        api = self._ctx.api
        query = self.model.query
        if api is None or not query:
            return
        self._server_timer.stop()
        self.status.setText(tr("Searching the server…"))
        self.status.show()
        self._ctx.tasks.network(
            lambda: api.search(query, limit=SERVER_LIMIT),
            done=lambda answer: self._server_answered(query, answer),
            failed=self._server_failed,
            key="search/server",
        )

    def _server_answered(self, query: str, answer: "SearchResponse") -> None:
        if query != self.model.query:
            return
        local = {r.customer_id for r in self.model.results}
        merged = self.model.results + [
            Result(s.id, s.display_name, s.organisation, s.account_number, True, s.do_not_contact)
            for s in answer.results
            if s.id not in local
        ]
        self.model.set_results(query, merged, offer_server=False)
        self.status.setText("" if merged else tr("The server found no customer either."))
        self.status.setVisible(bool(self.status.text()))
        self._select_row(0)
        self._show_popup()

    def _server_failed(self, error: BaseException) -> None:
        self.status.setText(
            tr("The server could not be asked: {problem}").format(problem=type(error).__name__)
        )
        self.status.show()

    # -- the list --------------------------------------------------------------------------------

    def _show_popup(self) -> None:
        rows = max(1, min(self.model.rowCount(), VISIBLE_ROWS))
        row_height = self.list.sizeHintForRow(0) if self.model.rowCount() else 0
        height = rows * row_height + 4 + (self.status.sizeHint().height() if self.status.isVisible() else 0)
        self.list.setVisible(self.model.rowCount() > 0)
        width = max(self.width(), 360)
        self.popup.setGeometry(QRect(self.mapToGlobal(QPoint(0, self.height())), QSize(width, height)))
        self.popup.show()

    def _select_row(self, row: int) -> None:
        count = self.model.rowCount()
        if count == 0:
            return
        index = self.model.index(max(0, min(row, count - 1)), 0)
        self.list.setCurrentIndex(index)
        self.list.scrollTo(index)

    def current_row(self) -> int:
        return self.list.currentIndex().row()

    def _activate(self, index: QModelIndex) -> None:
        if not index.isValid():
            return
        if index.data(KIND_ROLE) == "server_action":
            self.search_server()
            return
        customer_id = str(index.data(CUSTOMER_ID_ROLE))
        self.popup.hide()
        self.edit.clear()
        self.customerChosen.emit(customer_id)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if watched is self.edit and event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            return self._key(event)
        return super().eventFilter(watched, event)

    def _key(self, event: QKeyEvent) -> bool:
        key = event.key()
        row = self.current_row()
        moves = {
            Qt.Key.Key_Down: row + 1,
            Qt.Key.Key_Up: row - 1,
            Qt.Key.Key_PageDown: row + VISIBLE_ROWS,
            Qt.Key.Key_PageUp: row - VISIBLE_ROWS,
        }
        if key in moves and self.model.rowCount():
            if not self.popup.isVisible():
                self._show_popup()
            self._select_row(moves[Qt.Key(key)])
            return True
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.model.rowCount():
            current = self.list.currentIndex()
            self._activate(current if current.isValid() else self.model.index(0, 0))
            return True
        if key == Qt.Key.Key_Escape and self.popup.isVisible():
            self.popup.hide()
            return True
        return False

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802 - Qt's name
        self._server_timer.stop()
        self.popup.hide()
        super().hideEvent(event)
