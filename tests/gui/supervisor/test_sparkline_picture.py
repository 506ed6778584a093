"""A queue's sparkline kept up to date in place: after any run of snapshots its pixels are those of
a picture drawn whole from the same samples (but for a rare antialiased pixel of the line, off by a
few levels), while most snapshots repaint a strip or nothing; and the bars hold the most contacts
waiting and the last service level of their 30 seconds."""

import random
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QBrush, QColor, QImage, QPen
from PySide6.QtWidgets import QApplication

from desktop.services.queue_watch_history import QueueHistory, Sample
from desktop.views.supervisor.sparkline_picture import BAR_S, Pens, SparklinePicture, bar_values

pytestmark = pytest.mark.gui

SIZE = QSize(120, 23)


@pytest.fixture
def pens(qapp: QApplication) -> Iterator[Pens]:
    fill = QColor("#1f6feb")
    fill.setAlphaF(0.35)
    yield Pens(QBrush(fill), QPen(QColor("#1a7f37"), 1.0), QPen(QColor("#5b6473"), 1.0, Qt.PenStyle.DotLine))


def _image(picture: SparklinePicture) -> QImage:
    return picture.pixmap.toImage()


def _differences(a: QImage, b: QImage) -> list[int]:
    """The largest channel difference of each pixel that differs."""
    return [
        max(
            abs(((a.pixel(x, y) >> shift) & 255) - ((b.pixel(x, y) >> shift) & 255))
            for shift in (0, 8, 16, 24)
        )
        for y in range(a.height())
        for x in range(a.width())
        if a.pixel(x, y) != b.pixel(x, y)
    ]


def _drawn_whole(samples: tuple[Sample, ...], target: object, pens: Pens) -> QImage:
    picture = SparklinePicture(SIZE, 1.0, target, pens)
    picture.show(samples)
    assert picture.full_draws == 1
    return _image(picture)


@pytest.mark.parametrize("target", [0.8, None], ids=["target", "no-target"])
def test_updated_in_place_it_shows_what_a_whole_drawing_shows(pens: Pens, target: object) -> None:
    rng = random.Random(5)
    history = QueueHistory(offset=7.0)
    picture = SparklinePicture(SIZE, 1.0, target, pens)
    waiting, level = 3, 0.8
    checked = exact = 0
    for second in range(0, 45 * 60):  # 45 minutes at a snapshot a second: the window is full
        if 1200 <= second < 1290:
            continue  # the panel was offline for a minute and a half: a gap
        waiting = max(0, waiting + rng.choice((-1, 0, 0, 1)))
        level = min(1.0, max(0.0, level + rng.uniform(-0.02, 0.02)))
        if not history.add(float(second), waiting, None if second % 97 == 0 else level):
            continue
        samples = history.points()
        picture.show(samples)
        if second % 7 == 0 or second > 44 * 60:
            checked += 1
            # the same pixels but for an antialiased pixel or two of the line at a strip's edge,
            # off by a few levels (measured: at most 1 pixel, 8 levels, over 12 such runs)
            differences = _differences(_image(picture), _drawn_whole(samples, target, pens))
            assert len(differences) <= 2 and max(differences, default=0) <= 16, (
                f"at {second} s: {differences}"
            )
            exact += not differences
    assert checked > 300 and exact > 0.9 * checked
    # most snapshots repainted a strip at the newest end (or nothing); a whole drawing only when
    # the bars moved on (every 30 s) or the scale changed
    assert picture.strip_draws > 3 * picture.full_draws
    assert picture.full_draws >= 45 * 60 / BAR_S - 5


def test_the_same_bars_repaint_nothing(pens: Pens) -> None:
    picture = SparklinePicture(SIZE, 1.0, 0.8, pens)
    picture.show((Sample(0.0, 4, 0.9), Sample(10.0, 2, 0.85)))
    before = (picture.full_draws, picture.strip_draws, _image(picture))
    # a new bucket in the same 30 s bar, no taller and with the same service level
    picture.show((Sample(0.0, 4, 0.9), Sample(10.0, 2, 0.85), Sample(20.0, 1, 0.85)))
    assert (picture.full_draws, picture.strip_draws, _image(picture)) == before
    picture.show((Sample(0.0, 4, 0.9), Sample(10.0, 2, 0.85), Sample(20.0, 3, 0.85)))
    assert picture.full_draws == 1 and picture.strip_draws == 0  # not taller than 4: unchanged bar
    picture.show((Sample(0.0, 4, 0.9), Sample(10.0, 2, 0.85), Sample(20.0, 3, 0.7)))
    assert picture.strip_draws == 1  # the bar's last service level moved
    picture.show((Sample(0.0, 4, 0.9), Sample(10.0, 2, 0.85), Sample(20.0, 6, 0.7)))
    assert picture.full_draws == 2  # a new peak: the scale changed


def test_bars_hold_the_most_waiting_and_the_last_level_of_their_30_seconds() -> None:
    samples = (
        Sample(0.0, 2, 0.9),
        Sample(10.0, 5, None),
        Sample(20.0, 1, 0.8),  # bar 2 (0-30 s): most waiting 5, last level 0.8
        Sample(60.0, 0, None),  # bar 0 (60-90 s), no level; nothing fell in 30-60 s (bar 1)
    )
    tallest, levels = bar_values(samples, 4)
    assert tallest == [0, 0, 5, 0]
    assert levels == [None, None, 0.8, None]
