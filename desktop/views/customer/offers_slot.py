"""The place on the customer screen where recommended offers go (filled by the offers issue)."""

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from desktop.views.customer.banners import mute, section_title
from desktop.views.i18n import tr


class OffersSlot(QWidget):
    """A labelled, empty panel; `set_content` puts the offers widget in place of the placeholder."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("offersSlot")
        self.setAccessibleName(tr("Recommended offers"))
        self.placeholder = mute(QLabel(tr("Recommended offers will appear here."), self))
        self.placeholder.setWordWrap(True)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.addWidget(section_title(tr("Recommended offers"), self))
        self._layout.addWidget(self.placeholder)
        self.content: QWidget | None = None

    def set_content(self, widget: QWidget) -> None:
        """Show `widget` instead of the placeholder (or instead of the previous content)."""
        if self.content is not None:
            self._layout.removeWidget(self.content)
            self.content.deleteLater()
        self.placeholder.hide()
        widget.setParent(self)
        self._layout.addWidget(widget)
        self.content = widget
