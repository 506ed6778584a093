"""Paints a timeline row: a day header, or an interaction with its channel badge, time, who and what.

Every row has the same height (two lines of text), so the view can use uniform item sizes and never
asks for the size of rows it does not show. Colours come from the palette (light and dark themes),
except the channel badge.
"""

from typing import Final

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QFont, QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from desktop.domain import Interaction
from desktop.views.customer.channel_style import paint_channel_badge
from desktop.views.customer.timeline_model import HEADER_ROLE, INTERACTION_ROLE, TIME_ROLE, who

PAD: Final = 6
BADGE: Final = 28


class TimelineDelegate(QStyledItemDelegate):
    """Draws day headers and interactions; one fixed row height."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)

    def sizeHint(  # noqa: N802 - Qt's name
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        spacing = option.fontMetrics.lineSpacing()
        return QSize(200, max(BADGE, spacing * 2) + 2 * PAD + 2)

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        rect: QRect = option.rect
        palette: QPalette = option.palette
        state = option.state
        painter.save()
        if index.data(HEADER_ROLE):
            self._paint_header(painter, rect, palette, str(index.data() or ""))
        else:
            item = index.data(INTERACTION_ROLE)
            selected = bool(state & QStyle.StateFlag.State_Selected)
            if selected:
                painter.fillRect(rect, palette.color(QPalette.ColorRole.Highlight))
            if isinstance(item, Interaction):
                self._paint_item(painter, rect, palette, item, str(index.data(TIME_ROLE) or ""), selected)
            else:
                painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
                painter.drawText(
                    rect.adjusted(PAD, 0, -PAD, 0), Qt.AlignmentFlag.AlignVCenter, str(index.data())
                )
            if state & QStyle.StateFlag.State_HasFocus:
                painter.setPen(palette.color(QPalette.ColorRole.Highlight).darker(130))
                painter.drawRect(rect.adjusted(0, 0, -1, -1))
        painter.restore()

    def _paint_header(self, painter: QPainter, rect: QRect, palette: QPalette, label: str) -> None:
        painter.fillRect(rect, palette.color(QPalette.ColorRole.AlternateBase))
        font = QFont(painter.font())
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(palette.color(QPalette.ColorRole.Text))
        text_rect = rect.adjusted(PAD, PAD, -PAD, -PAD)
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom, label)
        painter.setPen(palette.color(QPalette.ColorRole.Mid))
        painter.drawLine(rect.left() + PAD, rect.bottom(), rect.right() - PAD, rect.bottom())

    def _paint_item(
        self, painter: QPainter, rect: QRect, palette: QPalette, item: Interaction, time: str, selected: bool
    ) -> None:
        badge = QRectF(rect.left() + PAD, rect.top() + (rect.height() - BADGE) / 2, BADGE, BADGE)
        paint_channel_badge(painter, badge, item.channel)
        metrics = painter.fontMetrics()
        spacing = metrics.lineSpacing()
        left = int(badge.right()) + PAD + 2
        top = rect.top() + (rect.height() - 2 * spacing) // 2
        width = rect.right() - PAD - left
        main = palette.color(QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text)
        quiet = main if selected else palette.color(QPalette.ColorRole.PlaceholderText)

        time_width = metrics.horizontalAdvance(time) + PAD
        painter.setPen(quiet)
        painter.drawText(QRect(left, top, time_width, spacing), Qt.AlignmentFlag.AlignLeft, time)
        outcome = item.outcome or ""
        outcome_width = min(metrics.horizontalAdvance(outcome) + PAD, width // 3) if outcome else 0
        if outcome:
            painter.drawText(
                QRect(rect.right() - PAD - outcome_width, top, outcome_width, spacing),
                Qt.AlignmentFlag.AlignRight,
                metrics.elidedText(outcome, Qt.TextElideMode.ElideRight, outcome_width),
            )
        who_width = max(0, width - time_width - outcome_width)
        painter.drawText(
            QRect(left + time_width, top, who_width, spacing),
            Qt.AlignmentFlag.AlignLeft,
            metrics.elidedText(who(item), Qt.TextElideMode.ElideRight, who_width),
        )
        painter.setPen(main)
        painter.drawText(
            QRect(left, top + spacing, width, spacing),
            Qt.AlignmentFlag.AlignLeft,
            metrics.elidedText(item.summary, Qt.TextElideMode.ElideRight, width),
        )
