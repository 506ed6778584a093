"""The one translation helper: every user-visible string goes through `tr()`."""

from PySide6.QtCore import QCoreApplication

CONTEXT = "LiaisonDesk"


def tr(text: str, disambiguation: str | None = None, n: int = -1) -> str:
    """Translate `text` in the application's context (the source text when no translation is loaded)."""
    return QCoreApplication.translate(CONTEXT, text, disambiguation, n)
