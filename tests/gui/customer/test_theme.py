"""The themes reach the customer screen through the application's palette and font, not through a
style-sheet rule that matches every widget (which doubled the cost of building and painting it)."""

import re
from collections.abc import Iterator

import pytest
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QListWidget
from pytestqt.qtbot import QtBot

from desktop.views.context import ViewContext
from desktop.views.customer.screen import CustomerScreen
from desktop.views.theme import BASE_POINT_SIZE, DARK, LIGHT, Theme, apply_theme, stylesheet
from tests.gui.customer.sample import CUSTOMER, NOW

pytestmark = pytest.mark.gui


@pytest.fixture
def app(qapp: QApplication) -> Iterator[QApplication]:
    """The application, with its style sheet, palette, font and theme put back after the test."""
    sheet, palette, font = qapp.styleSheet(), qapp.palette(), qapp.font()
    theme_name = qapp.property("liaisonTheme")
    yield qapp
    qapp.setStyleSheet(sheet)
    qapp.setPalette(palette)
    qapp.setFont(font)
    qapp.setProperty("liaisonTheme", theme_name)


def _selectors(sheet: str) -> list[str]:
    without_comments = re.sub(r"/\*.*?\*/", "", sheet, flags=re.DOTALL)
    heads = re.findall(r"([^{}]+)\{", without_comments)
    return [part.strip() for head in heads for part in head.split(",")]


@pytest.mark.parametrize("chosen", [LIGHT, DARK], ids=["light", "dark"])
def test_no_rule_matches_every_widget(chosen: Theme) -> None:
    selectors = _selectors(stylesheet(chosen))
    assert "QToolBar" in selectors and "QLabel#sectionTitle" in selectors  # the parser sees rules
    universal = [s for s in selectors if re.fullmatch(r"(QWidget|\*)(:[\w-]+)*", s)]
    assert universal == []


@pytest.mark.parametrize("chosen", [LIGHT, DARK], ids=["light", "dark"])
def test_the_screen_takes_the_themes_palette_and_font(
    qtbot: QtBot, ctx: ViewContext, app: QApplication, chosen: Theme
) -> None:
    apply_theme(app, chosen.name)
    assert app.font().pointSizeF() == BASE_POINT_SIZE
    screen = CustomerScreen(ctx, CUSTOMER, clock=lambda: NOW)
    qtbot.addWidget(screen)
    screen.resize(1280, 760)
    screen.show()
    qtbot.waitExposed(screen)
    palette = screen.palette()
    assert palette.color(QPalette.ColorRole.Window) == QColor(chosen.surface)
    assert palette.color(QPalette.ColorRole.WindowText) == QColor(chosen.text)
    assert palette.color(QPalette.ColorRole.Base) == QColor(chosen.background)
    disabled = palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
    assert disabled == QColor(chosen.muted)

    image = screen.grab().toImage()
    assert image.pixelColor(1, 1) == QColor(chosen.surface)  # the screen's margin: the window colour
    name = screen.profile_card.name
    assert name.font().bold() and name.font().pointSizeF() > screen.profile_card.subtitle.font().pointSizeF()
    note_box = screen.case_editor.note_edit  # enabled: the first open case is in the editor
    assert note_box.isEnabled()
    viewport = note_box.viewport()
    corner = viewport.mapTo(screen, viewport.rect().bottomRight())
    assert image.pixelColor(corner.x() - 2, corner.y() - 2) == QColor(chosen.background)  # an input


def _luminance(colour: QColor) -> float:
    def channel(value: float) -> float:
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    return (
        0.2126 * channel(colour.redF()) + 0.7152 * channel(colour.greenF()) + 0.0722 * channel(colour.blueF())
    )


@pytest.mark.parametrize("chosen", [LIGHT, DARK], ids=["light", "dark"])
def test_scroll_bars_are_flat_and_their_handle_stands_out(
    qtbot: QtBot, app: QApplication, chosen: Theme
) -> None:
    """Scroll bars are painted in two solid colours (track, handle), not Fusion's gradients, which
    the raster engine fills row by row through Qt's thread pool (two thirds of a window repaint,
    bench/README.md); the handle keeps a 3:1 contrast with the track (WCAG 1.4.11)."""
    apply_theme(app, chosen.name)
    view = QListWidget()
    qtbot.addWidget(view)
    view.addItems([f"row {n}" for n in range(200)])
    view.resize(200, 300)
    view.show()
    qtbot.waitExposed(view)
    bar = view.verticalScrollBar()
    assert bar.isVisible() and bar.maximum() > 0
    assert bar.width() == 12  # no arrow buttons: nothing inside but the track and the handle
    image = bar.grab().toImage()
    colours = {image.pixelColor(x, y).name() for x in range(image.width()) for y in range(image.height())}
    assert colours == {QColor(chosen.surface).name(), QColor(chosen.muted).name()}
    track, handle = _luminance(QColor(chosen.surface)), _luminance(QColor(chosen.muted))
    assert (max(track, handle) + 0.05) / (min(track, handle) + 0.05) >= 3.0
