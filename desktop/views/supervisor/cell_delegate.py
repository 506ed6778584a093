"""Painting the supervisor's cells: `draw_cell`, used by `CellTable` (the queue and agent tables,
a whole paint event in one Python call) and by `CellDelegate` (one call per cell, the alerts log).

`QStyledItemDelegate` asks the model's `data()` for about eight roles per cell, each a round trip
from C++ into Python and back: about 5 µs a call, so most of the cost of repainting a table of 300
visible cells (bench/queue_panel.py). This delegate asks the model once, through its `cell(row,
column)` (text, background, text colour, alignment), and paints the selection, the background and
one line of text (elided at the right when too wide). `data()` still answers every role for tool
tips, accessibility and tests.

The text is drawn as a `QStaticText` shaped once per distinct string and font and kept in a bounded
cache (`ShapedTexts`): `QPainter.drawText` itemizes, shapes and measures its string on every call
(5-10 µs of the 20-30 µs a cell took), while the panel repaints the same few hundred strings
("0:42", "82.0 %", "Available") every second.

The colours come from the view's palette (`CellColours`), the background and text colour of a
breached cell from the model.
"""

from typing import Final, Protocol, cast

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, QPointF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette, QStaticText, QTransform
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

#: the text's distance from the cell's sides (px)
PADDING: Final = 4
#: shaped strings kept per delegate before the cache starts over (times in state keep growing)
CACHE_SIZE: Final = 4096

Cell = tuple[str, QColor | None, QColor | None, int]
#: a shaped string, its width and its height (px)
Shaped = tuple[QStaticText, float, float]

_SELECTED: Final = QStyle.StateFlag.State_Selected
_TEXT: Final = QPalette.ColorRole.Text
_HIGHLIGHTED_TEXT: Final = QPalette.ColorRole.HighlightedText
_ALIGN_RIGHT: Final = int(Qt.AlignmentFlag.AlignRight)
_ALIGN_CENTRE: Final = int(Qt.AlignmentFlag.AlignHCenter)
_ELIDE_RIGHT: Final = Qt.TextElideMode.ElideRight
_IDENTITY: Final = QTransform()


class CellModel(Protocol):
    def cell(self, row: int, column: int) -> Cell: ...


class ShapedTexts:
    """Strings shaped for one font, with their size; emptied when the font changes or it grows
    past `limit` (a bounded cache: the panel shows a few hundred strings at a time)."""

    def __init__(self, limit: int = CACHE_SIZE) -> None:
        self.limit = limit
        self.font = QFont()
        self._shaped: dict[str, Shaped] = {}
        self._elided: dict[tuple[str, int], Shaped] = {}

    def __len__(self) -> int:
        return len(self._shaped) + len(self._elided)

    def use_font(self, font: QFont) -> None:
        """Shape for `font` from now on (what was shaped for another font is dropped)."""
        if font != self.font:
            self.font = QFont(font)
            self._shaped.clear()
            self._elided.clear()

    def shaped(self, text: str) -> Shaped:
        found = self._shaped.get(text)
        if found is None:
            if len(self._shaped) >= self.limit:
                self._shaped.clear()
            found = self._shaped[text] = self._shape(text)
        return found

    def elided(self, text: str, width: int) -> Shaped:
        """`text` cut to `width` px with an ellipsis."""
        key = (text, width)
        found = self._elided.get(key)
        if found is None:
            if len(self._elided) >= self.limit:
                self._elided.clear()
            short = QFontMetrics(self.font).elidedText(text, _ELIDE_RIGHT, width)
            found = self._elided[key] = self._shape(short)
        return found

    def _shape(self, text: str) -> Shaped:
        static = QStaticText(text)
        static.setTextFormat(Qt.TextFormat.PlainText)
        static.prepare(_IDENTITY, self.font)
        size = static.size()
        return static, size.width(), size.height()


class CellColours:
    """The palette colours a cell is painted with: the selection's fill and text, the normal text."""

    __slots__ = ("highlight", "highlighted_text", "text")

    def __init__(self, palette: QPalette) -> None:
        self.highlight = palette.highlight()
        self.highlighted_text = palette.color(_HIGHLIGHTED_TEXT)
        self.text = palette.color(_TEXT)


def draw_cell(
    painter: QPainter,
    texts: ShapedTexts,
    rect: tuple[int, int, int, int],
    cell: Cell,
    selected: bool,
    colours: CellColours,
) -> None:
    """Paint one cell (`rect` is left, top, width, height): the selection or the cell's background,
    then its one line of text, elided at the right when too wide. `texts` shapes for the font the
    view paints with. Shared by `CellDelegate` and `CellTable`, so both paint the same pixels."""
    text, background, foreground, alignment = cell
    left, top, w, h = rect
    if selected:
        painter.fillRect(left, top, w, h, colours.highlight)
        foreground = colours.highlighted_text
    elif background is not None:
        painter.fillRect(left, top, w, h, background)
    if not text:
        return
    static, width, height = texts.shaped(text)
    room = w - 2 * PADDING
    if width > room:
        if room <= 0:
            return
        static, width, height = texts.elided(text, room)
    if alignment & _ALIGN_RIGHT:
        x = left + PADDING + room - width
    elif alignment & _ALIGN_CENTRE:
        x = left + PADDING + (room - width) / 2
    else:
        x = left + PADDING
    painter.setPen(colours.text if foreground is None else foreground)
    painter.drawStaticText(QPointF(x, top + (h - height) / 2), static)


class CellDelegate(QStyledItemDelegate):
    """Paints the cells of a view whose model has `cell(row, column)` (`CellModel`), one call per
    cell (`CellTable` paints a whole paint event in one call; this delegate serves other views)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.texts = ShapedTexts()
        #: the colours of the palette last painted with (its `cacheKey` and colour group)
        self._palette_key: tuple[int, QPalette.ColorGroup] | None = None
        self._colours: CellColours | None = None

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        model = cast(CellModel, index.model())
        palette: QPalette = option.palette
        key = (palette.cacheKey(), palette.currentColorGroup())
        colours = self._colours
        if key != self._palette_key or colours is None:
            self._palette_key, colours = key, CellColours(palette)
            self._colours = colours
        texts = self.texts
        font = option.font
        if font != texts.font:
            texts.use_font(font)
        rect: tuple[int, int, int, int] = option.rect.getRect()  # type: ignore[assignment] # PySide's stub says object
        draw_cell(
            painter, texts, rect, model.cell(index.row(), index.column()), _SELECTED in option.state, colours
        )
