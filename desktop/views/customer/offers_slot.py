"""The place on the customer screen where recommended offers go: a titled slot holding the offers panel.

Made with a `ViewContext` (the customer screen passes its own), the slot holds an `OffersPanel` and
`show_customer` passes the customer on; made without one it shows a placeholder line (a screen in a
test that has no offers to show).
"""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from desktop.views.customer.banners import mute, section_title
from desktop.views.customer.offers_panel import OffersPanel
from desktop.views.i18n import tr

if TYPE_CHECKING:
    from desktop.views.context import ViewContext


def _utc_now() -> datetime:
    return datetime.now(UTC)


class OffersSlot(QWidget):
    """A labelled panel: the offers panel when given a context, else a placeholder line."""

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        ctx: "ViewContext | None" = None,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
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
        self.panel: OffersPanel | None = None
        if ctx is not None:
            self.panel = OffersPanel(ctx, self, clock=clock)
            self.set_content(self.panel)

    def show_customer(self, customer_id: str | None) -> None:
        """Show this customer's offers (None: none, for a spare screen)."""
        if self.panel is not None:
            self.panel.show_customer(customer_id)

    def set_content(self, widget: QWidget) -> None:
        """Show `widget` instead of the placeholder (or instead of the previous content)."""
        if self.content is not None and self.content is not widget:
            self._layout.removeWidget(self.content)
            self.content.deleteLater()
        self.placeholder.hide()
        if widget.parent() is not self:
            widget.setParent(self)
        self._layout.addWidget(widget)
        self.content = widget
