"""The open cases table; choosing a row tells the screen which case to edit."""

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.views.customer.banners import section_title
from desktop.views.customer.cases_model import (
    CASE_ID_ROLE,
    NUMBER,
    PRIORITY,
    SLA,
    STATUS,
    SUBJECT,
    CasesModel,
)
from desktop.views.i18n import tr


class SlaDelegate(QStyledItemDelegate):
    """The SLA cell as a badge that keeps its warning colour even on a selected row."""

    #: the badge's inset in the cell and the text's padding inside it (px, each side)
    INSET = 3
    PADDING = 6

    def sizeHint(  # noqa: N802 - Qt's name
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        """Wide enough for the bold badge text (ResizeToContents sizes the column from this)."""
        hint = super().sizeHint(option, index)
        font = QFont(option.font)
        font.setBold(True)
        text = QFontMetrics(font).horizontalAdvance(str(index.data() or ""))
        return QSize(max(hint.width(), text + 2 * (self.INSET + self.PADDING)), hint.height())

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        background = index.data(Qt.ItemDataRole.BackgroundRole)
        if not isinstance(background, QColor):
            super().paint(painter, option, index)
            return
        rect: QRect = option.rect
        palette: QPalette = option.palette
        painter.save()
        if option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(rect, palette.color(QPalette.ColorRole.Highlight))
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(background)
        badge = rect.adjusted(self.INSET, self.INSET, -self.INSET, -self.INSET)
        painter.drawRoundedRect(badge, 4, 4)
        foreground = index.data(Qt.ItemDataRole.ForegroundRole)
        painter.setPen(
            foreground if isinstance(foreground, QColor) else palette.color(QPalette.ColorRole.Text)
        )
        font = QFont(painter.font())
        font.setBold(True)
        painter.setFont(font)
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, str(index.data() or ""))
        painter.restore()


class CasesView(QWidget):
    """A title and the table of open cases."""

    caseChosen = Signal(str)  # noqa: N815 - Qt's naming, as the other signals of the views

    def __init__(self, model: CasesModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("casesView")
        self.model = model
        self.title = section_title("", self)
        self.table = QTableView(self)
        self.table.setObjectName("casesTable")
        self.table.setAccessibleName(tr("Open cases"))
        self.table.setModel(model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        self.table.setItemDelegateForColumn(SLA, SlaDelegate(self.table))
        header = self.table.horizontalHeader()
        for column in (NUMBER, STATUS, PRIORITY, SLA):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(SUBJECT, QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().currentRowChanged.connect(self._chosen)
        model.modelReset.connect(self._update_title)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.table, 1)
        self._update_title()

    def _update_title(self) -> None:
        self.title.setText(tr("Open cases ({n})").format(n=self.model.rowCount()))

    def _chosen(self) -> None:
        index = self.table.currentIndex()
        if index.isValid():
            self.caseChosen.emit(str(index.data(CASE_ID_ROLE)))

    def select_case(self, case_id: str) -> None:
        row = self.model.row_of(case_id)
        if row >= 0:
            self.table.selectRow(row)
            self.table.setCurrentIndex(self.model.index(row, NUMBER))
