"""The queue panel's "last 30 minutes" cell (drawn by `sparkline_picture.SparklinePicture`).

Each queue's sparkline is a pixmap kept per queue, size, pixel ratio and target (all dropped when
the theme changes, `theme_changed`), and brought up to date in place when the model hands out a new
tuple of samples (only then): most snapshots repaint a 2-6 px strip of it or nothing. A paint
fills the cell's background or selection and blits the pixmap (on a selected row, a copy in the
selection's text colour: the accent columns would vanish on the accent selection); it asks the model once
(`QueueModel.trend`) instead of four `data()` round trips. The pens are made once per theme.
"""

from typing import Final, Protocol, cast

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from desktop.services.queue_watch_history import Sample
from desktop.views.supervisor.cell_delegate import CellColours
from desktop.views.supervisor.sparkline_picture import Pens, SparklinePicture
from desktop.views.theme import current_theme

SIZE: Final = QSize(120, 22)
_SELECTED: Final = QStyle.StateFlag.State_Selected
#: pictures kept before the cache is emptied (a few hundred queues, a couple of sizes)
CACHE_SIZE: Final = 1000


class TrendModel(Protocol):
    def trend(self, row: int) -> tuple[str, tuple[Sample, ...], float, QColor | None]: ...


def tinted(pixmap: QPixmap, colour: QColor) -> QPixmap:
    """`pixmap`'s shapes in one colour, with their alpha (a copy: only selected rows need one)."""
    copy = QPixmap(pixmap.size())
    copy.setDevicePixelRatio(pixmap.devicePixelRatio())
    copy.fill(Qt.GlobalColor.transparent)
    painter = QPainter(copy)
    try:
        painter.drawPixmap(0, 0, pixmap)
        painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_SourceIn)
        painter.fillRect(copy.rect(), colour)
    finally:
        painter.end()
    return copy


class SparklineDelegate(QStyledItemDelegate):
    """Paints the samples of the index's row (`TrendModel.trend`, the queue model's)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        #: the current theme's pens; None until the next paint reads the theme
        self._pens: Pens | None = None
        #: (queue, size, pixel ratio, target) → the queue's picture, in the pens' theme
        self._cache: dict[tuple[object, ...], SparklinePicture] = {}

    def theme_changed(self) -> None:
        """The theme was switched: draw with its colours from now on (every picture again)."""
        self._pens = None
        self._cache.clear()

    @staticmethod
    def _make_pens() -> Pens:
        chosen = current_theme()
        fill = QColor(chosen.accent)
        fill.setAlphaF(0.35)
        # a 1 px line: stroking 1.5 px cost ~10 times as much
        return Pens(
            QBrush(fill), QPen(QColor(chosen.ok), 1.0), QPen(QColor(chosen.muted), 1.0, Qt.PenStyle.DotLine)
        )

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:  # noqa: N802
        return SIZE

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        self.paint_cell(
            painter,
            cast(TrendModel, index.model()),
            index.row(),
            option.rect,
            _SELECTED in option.state,
            CellColours(option.palette),
        )

    def paint_cell(
        self, painter: QPainter, model: object, row: int, rect: QRect, selected: bool, colours: CellColours
    ) -> None:
        """Paint `row`'s trend into `rect` (a `CellTable` column painter; `paint` for a delegate)."""
        queue_id, samples, target, background = cast(TrendModel, model).trend(row)
        # the cell's background (a breach colour) or selection; the cell has no text
        if selected:
            painter.fillRect(rect, colours.highlight)
        elif background is not None:
            painter.fillRect(rect, background)
        if not samples:
            return
        device = painter.device()
        ratio = device.devicePixelRatioF() if device is not None else 1.0
        picture = self.picture(queue_id, target, rect.size(), ratio)
        picture.show(samples)
        if selected:
            # the theme's accent on the selection's accent would vanish: the same shapes in the
            # selection's text colour (their alpha kept, so the columns stay lighter than the line)
            painter.drawPixmap(rect.topLeft(), tinted(picture.pixmap, colours.highlighted_text))
        else:
            painter.drawPixmap(rect.topLeft(), picture.pixmap)

    def picture(self, queue_id: str, target: object, size: QSize, ratio: float) -> SparklinePicture:
        """The queue's picture at this size, ratio and target, in the current theme."""
        pens = self._pens
        if pens is None:
            pens = self._pens = self._make_pens()
        key = (queue_id, size.width(), size.height(), ratio, target)
        found = self._cache.get(key)
        if found is None:
            if len(self._cache) >= CACHE_SIZE:
                self._cache.clear()
            found = self._cache[key] = SparklinePicture(size, ratio, target, pens)
        return found
