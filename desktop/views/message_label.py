"""The one way to make a form's error line: hidden until there is something to say, wrapped, styled
by the theme's `#errorMessage` rule, and plain text (a message may quote what the user or the
server wrote, which must never be read as markup)."""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget


def error_label(parent: QWidget) -> QLabel:
    label = QLabel(parent)
    label.setObjectName("errorMessage")
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    label.hide()
    return label
