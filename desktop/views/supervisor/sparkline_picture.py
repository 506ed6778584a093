"""One queue's sparkline as a pixmap kept up to date in place: contacts waiting as columns, the
service level as a line over them, the service-level target as a dotted line.

The 180 samples a queue keeps (10 s buckets, `queue_watch_history`) are shown as at most 60 bars
of 30 s, 2 px each: the most contacts waiting in the bar and its last service level. Drawing them
afresh costs ~0.1-0.25 ms (filling an antialiased 180-point area and stroking a 1.5 px line through
it, as this cell once did, ~2.5 ms), and a snapshot a second gives several visible queues a new
tuple of samples. But a snapshot only ever changes the newest bar (older buckets are closed), so
`SparklinePicture.show` compares the bars with those it drew and repaints just the strip of the
bars that changed and the two before them (the line's segments into them), or nothing at all when
the new samples round to the same bars. Its pixels match a whole drawing's but for a few
antialiased pixels of the line at the strip's left edge, by at most a few levels of alpha (Qt's
stroker draws a segment according to the ones before it; tests/gui/supervisor/test_sparkline_picture.py
bounds the difference). Bars start on whole multiples of 30 s, so the picture moves one whole bar at a time:
every 30 s, or when the tallest bar changes the scale, it is drawn afresh. A gap (the panel was
offline) is a gap in the columns and in the line.
"""

from dataclasses import dataclass
from typing import Final

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QBrush, QPainter, QPen, QPixmap, QPolygonF

from desktop.services.queue_watch_history import BUCKET_S, WINDOW_S, Sample

#: the picture's margin inside its cell (px)
MARGIN: Final = 2.0
#: a bar's width (px) and span of time: three 10 s buckets, so 30 minutes are 60 bars, 120 px
BAR_PX: Final = 2
BAR_S: Final = 3 * BUCKET_S


@dataclass(frozen=True)
class Pens:
    """What a sparkline is drawn with (made once per theme)."""

    area: QBrush
    line: QPen
    target: QPen


def _older_in_newest_bar(samples: tuple[Sample, ...], newest: int) -> tuple[int, float | None]:
    """The most waiting and the last level of the buckets before the newest one in bar `newest`."""
    tallest, level = 0, None
    for sample in reversed(samples[:-1]):
        if int(sample.at // BAR_S) != newest:
            break
        tallest = max(tallest, sample.waiting)
        if level is None:
            level = sample.service_level
    return tallest, level


def bar_values(
    samples: tuple[Sample, ...], bars: int, newest: int | None = None
) -> tuple[list[int], list[float | None]]:
    """Per bar (index 0 the bar numbered `newest`, by default the latest sample's): the most
    contacts waiting and the last service level of the samples in it (None where none has one)."""
    tallest: list[int] = [0] * bars
    levels: list[float | None] = [None] * bars
    if newest is None:
        newest = int(samples[-1].at // BAR_S)
    for sample in samples:  # oldest first: the last level in a bar wins
        k = newest - int(sample.at // BAR_S)
        if 0 <= k < bars:
            tallest[k] = max(tallest[k], sample.waiting)
            if sample.service_level is not None:
                levels[k] = sample.service_level
    return tallest, levels


class SparklinePicture:
    """A queue's sparkline at one size and pixel ratio, with the bars it shows."""

    def __init__(self, size: QSize, ratio: float, target: object, pens: Pens) -> None:
        self.pixmap = QPixmap(max(1, int(size.width() * ratio)), max(1, int(size.height() * ratio)))
        self.pixmap.setDevicePixelRatio(ratio)
        self.pixmap.fill(Qt.GlobalColor.transparent)
        self._width = float(size.width())
        self._plot = QRectF(0, 0, size.width(), size.height()).adjusted(MARGIN, MARGIN, -MARGIN, -MARGIN)
        self.bars = max(0, min(int(self._plot.width()) // BAR_PX, int(WINDOW_S // BAR_S)))
        self._target = target
        self._pens = pens
        self.samples: tuple[Sample, ...] = ()
        self._newest: int | None = None
        self._peak = 0
        self._tallest: list[int] = []
        self._levels: list[float | None] = []
        #: bar 0's most waiting and last level without the newest bucket (which snapshots move)
        self._older0: tuple[int, float | None] = (0, None)
        #: how often the picture was drawn whole / in part (tests and benches)
        self.full_draws = 0
        self.strip_draws = 0

    def show(self, samples: tuple[Sample, ...]) -> None:
        """Bring the pixmap to `samples` (non-empty): the changed bars' strip, everything when the
        bars moved or the scale changed, nothing when the bars are the same."""
        if samples is self.samples:
            return
        previous, self.samples = self.samples, samples
        if self.bars < 1 or self._plot.height() <= 1:
            return
        newest = int(samples[-1].at // BAR_S)
        worked = self._bars_after(previous, samples, newest)
        if worked is None:
            tallest, levels = bar_values(samples, self.bars, newest)
            self._older0 = _older_in_newest_bar(samples, newest)
            only_newest = False
        else:
            tallest, levels = worked
            only_newest = newest == self._newest
        peak = max(1, *tallest)
        if newest == self._newest and peak == self._peak:
            old_tallest, old_levels = self._tallest, self._levels
            checked = (0,) if only_newest else range(self.bars)
            changed = [k for k in checked if tallest[k] != old_tallest[k] or levels[k] != old_levels[k]]
            if not changed:
                self._tallest, self._levels = tallest, levels
                return
            # and two bars before: the line's segment into a changed bar starts in the middle of
            # the one before, and Qt's antialiased thin-line stroker draws a segment according to
            # the ones before it, which can move a pixel of the segment before that
            upto = min(max(changed) + 2, self.bars - 1)
        else:
            upto = self.bars - 1
        self._newest, self._peak, self._tallest, self._levels = newest, peak, tallest, levels
        painter = QPainter(self.pixmap)
        try:
            if upto == self.bars - 1:
                self.full_draws += 1
                painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Clear)
                painter.fillRect(QRectF(0, 0, self._width, self.pixmap.height()), Qt.GlobalColor.transparent)
            else:
                self.strip_draws += 1
                left = self._plot.right() - (upto + 1) * BAR_PX
                strip = QRectF(left, 0, self._width - left, self.pixmap.height())
                painter.setClipRect(strip)
                painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Clear)
                painter.fillRect(strip, Qt.GlobalColor.transparent)
            painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_SourceOver)
            self._draw(painter, upto)
        finally:
            painter.end()

    def _bars_after(
        self, previous: tuple[Sample, ...], samples: tuple[Sample, ...], newest: int
    ) -> tuple[list[int], list[float | None]] | None:
        """The bars of `samples` worked out from those of `previous` when the snapshot only moved
        the newest bucket or opened a new one (buckets once closed never change, and the ring drops
        only its oldest); None otherwise (worked out afresh)."""
        old_newest = self._newest
        if len(previous) < 1 or len(samples) < 2 or old_newest is None or newest < old_newest:
            return None
        bars = self.bars
        levels: list[float | None]
        if len(samples) == len(previous) and samples[0] is previous[0] and samples[-2] is previous[-2]:
            tallest, levels = self._tallest[:], self._levels[:]  # the newest bucket moved
        elif samples[-2] is previous[-1] and (
            (len(samples) == len(previous) + 1 and samples[0] is previous[0])
            or (
                len(samples) == len(previous)
                and samples[0] is previous[1]
                and newest - int(previous[0].at // BAR_S) >= bars  # the bucket dropped was not shown
            )
        ):
            # a new bucket: the previous newest is closed, and a new bar may have begun
            shift = min(newest - old_newest, bars)
            tallest = [0] * shift + self._tallest[: bars - shift]
            levels = [None] * shift
            levels += self._levels[: bars - shift]
            self._older0 = (tallest[0], levels[0])
        else:
            return None
        last = samples[-1]
        older_tallest, older_level = self._older0
        tallest[0] = max(older_tallest, last.waiting)
        levels[0] = last.service_level if last.service_level is not None else older_level
        return tallest, levels

    def _draw(self, painter: QPainter, upto: int) -> None:
        """Bars 0..`upto`, the service-level line over them (from two bars further, so its joins
        match a whole drawing's), and the target line (clipped by the caller to the strip)."""
        pens, plot = self._pens, self._plot
        right, bottom, height = plot.right(), plot.bottom(), plot.height()
        per_contact = height / self._peak
        tallest, levels = self._tallest, self._levels
        # crisp columns, no antialiasing (an antialiased 180-point area took ~1 ms to fill)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(pens.area)
        painter.drawRects(
            [
                QRectF(
                    right - (k + 1) * BAR_PX,
                    bottom - tallest[k] * per_contact,
                    BAR_PX,
                    tallest[k] * per_contact,
                )
                for k in range(upto + 1)
                if tallest[k]
            ]
        )
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        if isinstance(self._target, float):
            painter.setPen(pens.target)
            y = bottom - self._target * height
            painter.drawLine(QPointF(plot.left(), y), QPointF(right, y))
        # the service level through the middle of each bar that has one, broken at gaps
        painter.setPen(pens.line)
        run: list[QPointF] = []
        for k in range(min(upto + 2, self.bars - 1), -2, -1):
            level = levels[k] if k >= 0 else None
            if level is not None:
                run.append(QPointF(right - (k + 0.5) * BAR_PX, bottom - level * height))
            elif run:
                if len(run) > 1:
                    painter.drawPolyline(QPolygonF(run))
                run = []
