"""How each channel looks: a name, a colour and a small SVG glyph drawn white on a disc of that colour.

Channel colours are the one place the screen uses fixed colours (they carry meaning and must look the
same in the light and the dark theme); each is dark enough for white glyphs and light enough to be
told apart on a dark background. The glyphs are our own simple line drawings.
"""

from functools import cache
from typing import Final

from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

from desktop.views.i18n import tr

CHANNEL_COLOURS: Final[dict[str, str]] = {
    "phone": "#2e7d32",
    "email": "#1565c0",
    "chat": "#7b1fa2",
    "web": "#00838f",
    "field_visit": "#e65100",
    "partner": "#ad1457",
    "store": "#6d4c41",
    "social": "#3949ab",
}

_STROKE = 'fill="none" stroke="#ffffff" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"'
_GLYPHS: Final[dict[str, str]] = {
    "phone": f'<path {_STROKE} d="M6 3h3l2 5-2.5 1.5a11 11 0 0 0 6 6L16 13l5 2v3a2 2 0 0 1-2 2A16 16 0 0 1 4 5a2 2 0 0 1 2-2z"/>',
    "email": f'<rect {_STROKE} x="3" y="5" width="18" height="14" rx="2"/><path {_STROKE} d="M3 7l9 6 9-6"/>',
    "chat": f'<path {_STROKE} d="M4 5h16v11H9l-5 4z"/>',
    "web": f'<circle {_STROKE} cx="12" cy="12" r="9"/><path {_STROKE} d="M3 12h18M12 3c3 3 3 15 0 18M12 3c-3 3-3 15 0 18"/>',
    "field_visit": f'<path {_STROKE} d="M12 21s-7-6.5-7-12a7 7 0 0 1 14 0c0 5.5-7 12-7 12z"/><circle {_STROKE} cx="12" cy="9" r="2.5"/>',
    "partner": f'<circle {_STROKE} cx="8" cy="8" r="3"/><circle {_STROKE} cx="16.5" cy="8" r="3"/><path {_STROKE} d="M2 20c0-4 3-6 6-6s6 2 6 6M14 14.5c3.5-1 8 0.5 8 5.5"/>',
    "store": f'<path {_STROKE} d="M4 10v10h16V10M3 10l2-6h14l2 6zM10 20v-5h4v5"/>',
    "social": f'<circle {_STROKE} cx="6" cy="12" r="2.5"/><circle {_STROKE} cx="18" cy="6" r="2.5"/><circle {_STROKE} cx="18" cy="18" r="2.5"/><path {_STROKE} d="M8.2 11l7.6-3.8M8.2 13l7.6 3.8"/>',
}


def channel_label(channel: str) -> str:
    """The channel's name for people."""
    labels = {
        "phone": tr("Phone"),
        "email": tr("Email"),
        "chat": tr("Chat"),
        "web": tr("Web"),
        "field_visit": tr("Field visit"),
        "partner": tr("Partner"),
        "store": tr("Store"),
        "social": tr("Social"),
    }
    return labels.get(channel, channel.replace("_", " ").capitalize())


def channel_colour(channel: str) -> QColor:
    return QColor(CHANNEL_COLOURS.get(channel, "#607d8b"))


@cache
def _renderer(channel: str) -> QSvgRenderer:
    glyph = _GLYPHS.get(channel, f'<circle {_STROKE} cx="12" cy="12" r="4"/>')
    svg = f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24">{glyph}</svg>'
    return QSvgRenderer(QByteArray(svg.encode()))


def paint_channel_badge(painter: QPainter, rect: QRectF, channel: str) -> None:
    """A disc of the channel's colour with its glyph, inside `rect` (square)."""
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(channel_colour(channel))
    painter.drawEllipse(rect)
    inset = rect.width() * 0.22
    _renderer(channel).render(painter, rect.adjusted(inset, inset, -inset, -inset))
    painter.restore()


@cache
def channel_icon(channel: str, size: int = 20) -> QIcon:
    """The badge as an icon (for chips and lists); rendered at twice the size for high-DPI screens."""
    pixmap = QPixmap(size * 2, size * 2)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    paint_channel_badge(painter, QRectF(0, 0, size * 2, size * 2), channel)
    painter.end()
    pixmap.setDevicePixelRatio(2.0)
    return QIcon(pixmap)
