"""The themes reach the customer screen through the application's palette and font, not through a
style-sheet rule that matches every widget (which doubled the cost of building and painting it)."""

import re
from collections.abc import Iterator

import pytest
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication
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
