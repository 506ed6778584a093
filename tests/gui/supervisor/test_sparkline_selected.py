"""A selected queue row's sparkline stays visible: drawn in the selection's text colour over the
selection (the theme's accent columns would vanish on the accent selection), with its shapes and
their transparency kept."""

import random
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import QApplication

from desktop.services.queue_watch_history import QueueHistory, Sample
from desktop.views.supervisor.cell_delegate import CellColours
from desktop.views.supervisor.sparkline_delegate import SparklineDelegate, tinted
from desktop.views.theme import current_theme

pytestmark = pytest.mark.gui
RECT = QRect(0, 0, 120, 22)


class _Trends:
    def __init__(self, samples: tuple[Sample, ...]) -> None:
        self.samples = samples

    def trend(self, row: int) -> tuple[str, tuple[Sample, ...], float, QColor | None]:
        return "q1", self.samples, 0.8, None


@pytest.fixture
def samples() -> tuple[Sample, ...]:
    rng = random.Random(3)
    history = QueueHistory(offset=0.0)
    waiting = 4
    for second in range(0, 30 * 60, 5):
        waiting = max(0, waiting + rng.choice((-1, 0, 1)))
        history.add(float(second), waiting, 0.7 + 0.2 * rng.random())
    return history.points()


@pytest.fixture
def colours(qapp: QApplication) -> Iterator[CellColours]:
    palette = QPalette()
    palette.setColor(QPalette.ColorRole.Highlight, QColor(current_theme().accent))
    palette.setColor(QPalette.ColorRole.HighlightedText, QColor("#ffffff"))
    yield CellColours(palette)


def _cell(samples: tuple[Sample, ...], colours: CellColours, *, selected: bool) -> QImage:
    image = QImage(RECT.size(), QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(QColor("#ffffff"))
    painter = QPainter(image)
    try:
        SparklineDelegate().paint_cell(painter, _Trends(samples), 0, RECT, selected, colours)
    finally:
        painter.end()
    return image


def _not(image: QImage, colour: QColor) -> set[tuple[int, int]]:
    rgb = colour.rgb()
    return {(x, y) for y in range(image.height()) for x in range(image.width()) if image.pixel(x, y) != rgb}


def test_a_selected_rows_sparkline_is_drawn_in_the_selection_text_colour(
    samples: tuple[Sample, ...], colours: CellColours
) -> None:
    plain = _cell(samples, colours, selected=False)
    selected = _cell(samples, colours, selected=True)
    shapes = _not(plain, QColor("#ffffff"))
    assert len(shapes) > 200  # columns, the line and the target's dots
    marked = _not(selected, colours.highlight.color())
    assert marked == shapes  # the same shapes, on the selection
    # in the selection's text colour: every marked pixel is lighter than the selection
    highlight = colours.highlight.color().lightness()
    assert all(QColor(selected.pixel(x, y)).lightness() > highlight for x, y in marked)


def test_tinted_keeps_alpha_and_size(qapp: QApplication) -> None:
    source = QPixmap(QSize(4, 1))
    source.fill(Qt.GlobalColor.transparent)
    painter = QPainter(source)
    painter.fillRect(0, 0, 1, 1, QColor(255, 0, 0, 255))
    painter.fillRect(1, 0, 1, 1, QColor(0, 0, 255, 90))
    painter.end()
    image = tinted(source, QColor("#00ff00")).toImage().convertToFormat(QImage.Format.Format_ARGB32)
    assert image.size() == source.size()
    assert QColor.fromRgba(image.pixel(0, 0)).getRgb() == (0, 255, 0, 255)
    half = QColor.fromRgba(image.pixel(1, 0))
    assert half.green() > 200 and half.red() == 0 and half.blue() == 0 and 80 <= half.alpha() <= 100
    assert QColor.fromRgba(image.pixel(2, 0)).alpha() == 0
