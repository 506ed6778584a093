"""Light and dark themes: colour tokens in the application's palette and font, and in the QSS
template `resources/themes/base.qss` for what a palette cannot say (borders, radii, padding).

One set of token names for both themes (as napari does), so a widget is styled once and recoloured
by swapping the tokens. The base colours (window, text, input fields, buttons, selection, disabled
text) and the base font reach every widget through the application's `QPalette` and font; the
style sheet has no rule that matches every widget (a universal `QWidget { … }` rule made Qt resolve
and polish a style-sheet rule for each new widget and paint each widget's background: it doubled
the cost of building and painting the customer screen, bench/README.md).
"""

from dataclasses import dataclass
from importlib import resources
from string import Template
from typing import Final, Literal

from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication

ThemeName = Literal["light", "dark"]
THEMES: Final[tuple[ThemeName, ...]] = ("light", "dark")
#: the application's base font size (points); titles are sized in the style sheet relative to it
BASE_POINT_SIZE: Final = 10.0


@dataclass(frozen=True)
class Theme:
    """A theme's colour tokens (hex colours)."""

    name: ThemeName
    background: str
    surface: str
    surface_alt: str
    input: str
    border: str
    hover: str
    text: str
    muted: str
    accent: str
    on_accent: str
    focus: str
    ok: str
    warning: str
    danger: str
    notice: str
    overlay: str

    def tokens(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if k != "name"}


LIGHT: Final = Theme(
    name="light",
    background="#ffffff",
    surface="#f6f7f9",
    surface_alt="#eceff3",
    input="#ffffff",
    border="#c9ced6",
    hover="#dde3ea",
    text="#1d2330",
    muted="#5b6473",
    accent="#1f6feb",
    on_accent="#ffffff",
    focus="#1f6feb",
    ok="#1a7f37",
    warning="#9a6700",
    danger="#cf222e",
    notice="#fff8e1",
    overlay="#ffffff",
)

DARK: Final = Theme(
    name="dark",
    background="#161a20",
    surface="#1f242c",
    surface_alt="#272d36",
    input="#12161b",
    border="#3a424e",
    hover="#333b47",
    text="#e6e9ef",
    muted="#9aa4b2",
    accent="#4c8dff",
    on_accent="#0b0e13",
    focus="#79a8ff",
    ok="#3fb950",
    warning="#d29922",
    danger="#f85149",
    notice="#3a2f12",
    overlay="#272d36",
)

_BY_NAME: Final[dict[str, Theme]] = {"light": LIGHT, "dark": DARK}


def theme(name: str) -> Theme:
    """The theme called `name`; ValueError for an unknown one."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise ValueError(f"unknown theme {name!r} (choose from {', '.join(THEMES)})") from None


def stylesheet(chosen: Theme) -> str:
    """The application style sheet for `chosen` (every `$token` of the template filled)."""
    template = resources.files("resources").joinpath("themes/base.qss").read_text(encoding="utf-8")
    return Template(template).substitute(chosen.tokens())


def palette(chosen: Theme) -> QPalette:
    """The theme's colours for every widget: window and text, input fields, buttons, selection,
    tool tips, links, and muted disabled text; the bevel shades (light, mid, dark, shadow) derived
    from the button and window colours."""
    pal = QPalette(QColor(chosen.surface_alt), QColor(chosen.surface))
    roles = {
        QPalette.ColorRole.Window: chosen.surface,
        QPalette.ColorRole.WindowText: chosen.text,
        QPalette.ColorRole.Base: chosen.background,
        QPalette.ColorRole.AlternateBase: chosen.surface_alt,
        QPalette.ColorRole.Text: chosen.text,
        QPalette.ColorRole.Button: chosen.surface_alt,
        QPalette.ColorRole.ButtonText: chosen.text,
        QPalette.ColorRole.BrightText: chosen.on_accent,
        QPalette.ColorRole.Highlight: chosen.accent,
        QPalette.ColorRole.HighlightedText: chosen.on_accent,
        QPalette.ColorRole.ToolTipBase: chosen.overlay,
        QPalette.ColorRole.ToolTipText: chosen.text,
        QPalette.ColorRole.PlaceholderText: chosen.muted,
        QPalette.ColorRole.Link: chosen.accent,
        QPalette.ColorRole.LinkVisited: chosen.accent,
    }
    for role, colour in roles.items():
        pal.setColor(role, QColor(colour))
    disabled = QPalette.ColorGroup.Disabled
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        pal.setColor(disabled, role, QColor(chosen.muted))
    pal.setColor(disabled, QPalette.ColorRole.Base, QColor(chosen.surface))
    return pal


def base_font(app: QApplication) -> QFont:
    """The application's font at the theme's base size (the platform's family kept)."""
    font = QFont(app.font())
    font.setPointSizeF(BASE_POINT_SIZE)
    return font


def apply_theme(app: QApplication, name: str) -> Theme:
    """Style the whole application with the theme `name`; returns it (icons take its text colour)."""
    chosen = theme(name)
    app.setPalette(palette(chosen))
    app.setFont(base_font(app))
    app.setStyleSheet(stylesheet(chosen))
    app.setProperty("liaisonTheme", chosen.name)
    return chosen


def current_theme(app: QApplication | None = None) -> Theme:
    """The theme last applied to the application (light before any)."""
    instance = app if app is not None else QApplication.instance()
    name = instance.property("liaisonTheme") if isinstance(instance, QApplication) else None
    return theme(name) if isinstance(name, str) else LIGHT
