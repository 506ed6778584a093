"""Warning banners and section titles shared by the customer screen's panels.

A banner takes the theme's `warning` (amber) or `danger` (red) colour with black or white text (see
`sla.sla_colours`), set as the widget's own style sheet so the application style sheet cannot
override it; everything else takes the palette's colours. Titles take their size from the theme's
style sheet (`QLabel#sectionTitle`).
"""

from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QLabel, QWidget

from desktop.views.customer.sla import SlaState, sla_colours


def banner(text: str, level: SlaState, parent: QWidget) -> QLabel:
    """A bold, full-width label on a warning background ("near": amber, "breached": red)."""
    label = QLabel(text, parent)
    label.setWordWrap(True)
    label.setMargin(6)
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    colours = sla_colours(level)
    if colours is not None:
        background, text_colour = colours
        label.setStyleSheet(
            f"QLabel {{ background-color: {background.name()}; color: {text_colour.name()}; "
            "border-radius: 4px; font-weight: bold; }"
        )
    label.setAccessibleName(text)
    return label


def section_title(text: str, parent: QWidget) -> QLabel:
    """A panel's title: the palette's text, bold and a little larger (the theme's
    `QLabel#sectionTitle` rule: one application rule rather than a style sheet per label, which Qt
    would parse and polish for every new screen)."""
    label = QLabel(text, parent)
    label.setObjectName("sectionTitle")
    return label


def mute(label: QLabel) -> QLabel:
    """Secondary text: the palette's placeholder colour (and the theme's `muted` style)."""
    label.setObjectName("muted")
    palette = label.palette()
    palette.setColor(QPalette.ColorRole.WindowText, palette.color(QPalette.ColorRole.PlaceholderText))
    label.setPalette(palette)
    return label
