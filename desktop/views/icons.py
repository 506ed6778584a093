"""SVG icons from `resources/icons`, drawn in the current theme's colour.

The files use `currentColor`; it is replaced by the theme's text (or a given) colour and the SVG is
rendered at a few sizes into a QIcon, so icons follow light and dark themes without a second set.
"""

from functools import cache
from importlib import resources

from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QIcon, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

from desktop.views.theme import current_theme

SIZES = (16, 24, 32, 48)


class UnknownIcon(LookupError):
    """No SVG of that name in `resources/icons`."""


@cache
def svg_text(name: str) -> str:
    """The SVG source of icon `name`."""
    entry = resources.files("resources").joinpath(f"icons/{name}.svg")
    if not entry.is_file():
        raise UnknownIcon(name)
    return entry.read_text(encoding="utf-8")


def icon_names() -> list[str]:
    """Every icon in the resources, by name."""
    folder = resources.files("resources").joinpath("icons")
    return sorted(e.name.removesuffix(".svg") for e in folder.iterdir() if e.name.endswith(".svg"))


def _pixmap(renderer: QSvgRenderer, size: int) -> QPixmap:
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    try:
        renderer.render(painter, QRectF(0, 0, size, size))
    finally:
        painter.end()
    return pixmap


@cache
def _icon(name: str, colour: str) -> QIcon:
    renderer = QSvgRenderer(QByteArray(svg_text(name).replace("currentColor", colour).encode()))
    if not renderer.isValid():
        raise UnknownIcon(f"{name} (not a valid SVG)")
    result = QIcon()
    for size in SIZES:
        result.addPixmap(_pixmap(renderer, size))
    return result


def icon(name: str, colour: str | None = None) -> QIcon:
    """The icon `name` in `colour` (default: the current theme's text colour)."""
    return _icon(name, colour or current_theme().text)
