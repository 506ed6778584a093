"""The queue panel's "last 30 minutes" cell: contacts waiting as a filled area, the service level as
a line over it, the service-level target as a dotted line.

Cheap on purpose: at most 180 points a queue (10 s buckets, `queue_watch_history`), drawn straight
into the view when the queue's samples change (the model hands out a new tuple only then: a
snapshot a second changes many lines, and a pixmap per change cost its allocation, fill and
painter), then into a pixmap the second time the same line is painted, blitted on every paint
after that; the pens are made once per theme (`theme_changed`); a paint asks
the model once (`QueueModel.trend`) instead of four `data()` round trips. The x axis is time,
ending at the queue's latest sample, so gaps (the panel was offline) show as gaps in the area.
"""

from typing import Final, Protocol, cast

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPointF, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPen, QPixmap, QPolygonF
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from desktop.services.queue_watch_history import WINDOW_S, Sample
from desktop.views.supervisor.cell_delegate import CellColours
from desktop.views.theme import current_theme

SIZE: Final = QSize(120, 22)
_SELECTED: Final = QStyle.StateFlag.State_Selected
MARGIN: Final = 2.0
#: cached lines before the cache is emptied (a few hundred queues, a couple of sizes)
CACHE_SIZE: Final = 1000


class TrendModel(Protocol):
    def trend(self, row: int) -> tuple[str, tuple[Sample, ...], float, QColor | None]: ...


class SparklineDelegate(QStyledItemDelegate):
    """Paints the samples of the index's row (`TrendModel.trend`, the queue model's)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._theme = ""
        self._area = QBrush()
        self._line = QPen()
        self._target = QPen()
        #: (queue, size, pixel ratio, theme, target) → (the samples drawn, their pixmap)
        self._cache: dict[tuple[object, ...], tuple[tuple[Sample, ...], QPixmap | None]] = {}

    def theme_changed(self) -> None:
        """The theme was switched: draw with its colours from now on."""
        self._theme = ""
        self._cache.clear()

    def _pens(self) -> None:
        chosen = current_theme()
        self._theme = chosen.name
        fill = QColor(chosen.accent)
        fill.setAlphaF(0.35)
        self._area = QBrush(fill)
        self._line = QPen(QColor(chosen.ok), 1.5)
        self._target = QPen(QColor(chosen.muted), 1.0, Qt.PenStyle.DotLine)

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
        pixmap = self._line_pixmap(queue_id, samples, target, rect.size(), ratio)
        if pixmap is not None:
            painter.drawPixmap(rect.topLeft(), pixmap)
            return
        # new samples: drawn straight into the view (a snapshot a second changes many lines, and a
        # pixmap per change costs its allocation, fill and painter); kept as a pixmap only if the
        # same line is painted again (scrolling, another cell's change, an expose)
        painter.save()
        try:
            painter.translate(rect.topLeft())
            self._draw(painter, QRectF(0, 0, rect.width(), rect.height()), samples, target)
        finally:
            painter.restore()

    def _line_pixmap(
        self, queue_id: str, samples: tuple[Sample, ...], target: object, size: QSize, ratio: float
    ) -> QPixmap | None:
        """The queue's line as a pixmap, drawn the second time the same samples (a new tuple per
        change) are painted at this size and theme and kept until they change; None the first
        time (the caller draws it directly)."""
        if not self._theme:
            self._pens()
        key = (queue_id, size.width(), size.height(), ratio, self._theme, target)
        cached = self._cache.get(key)
        if cached is None or cached[0] is not samples:
            if len(self._cache) > CACHE_SIZE:
                self._cache.clear()
            self._cache[key] = (samples, None)
            return None
        if cached[1] is not None:
            return cached[1]
        pixmap = QPixmap(max(1, int(size.width() * ratio)), max(1, int(size.height() * ratio)))
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        try:
            self._draw(painter, QRectF(0, 0, size.width(), size.height()), samples, target)
        finally:
            painter.end()
        self._cache[key] = (samples, pixmap)
        return pixmap

    def _draw(self, painter: QPainter, cell: QRectF, samples: tuple[Sample, ...], target: object) -> None:
        rect = cell.adjusted(MARGIN, MARGIN, -MARGIN, -MARGIN)
        if rect.width() <= 1 or rect.height() <= 1:
            return
        end = samples[-1].at
        peak = max(1, *(s.waiting for s in samples))

        right, bottom, height = rect.right(), rect.bottom(), rect.height()
        per_s = rect.width() / WINDOW_S
        xs = [right - (end - s.at) * per_s for s in samples]
        area = QPolygonF(
            [QPointF(xs[0], bottom)]
            + [QPointF(x, bottom - s.waiting / peak * height) for x, s in zip(xs, samples, strict=True)]
            + [QPointF(right, bottom)]
        )
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self._area)
        painter.drawPolygon(area)
        if isinstance(target, float):
            painter.setPen(self._target)
            y = bottom - target * height
            painter.drawLine(QPointF(rect.left(), y), QPointF(rect.right(), y))
        line = QPolygonF(
            [
                QPointF(x, bottom - s.service_level * height)
                for x, s in zip(xs, samples, strict=True)
                if s.service_level is not None
            ]
        )
        if line.size() > 1:
            painter.setPen(self._line)
            painter.drawPolyline(line)
