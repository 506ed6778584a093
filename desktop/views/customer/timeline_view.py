"""The timeline panel: a chip per channel, a text filter and the lazily filled list of interactions.

Chips start checked (every channel shown) and show how many interactions each channel has; a
channel the customer never used is greyed out. The text filter applies a moment after typing stops,
or at once on Enter; both filters run in SQL (`TimelineModel.set_filter`). `show_customer` refills
the panel for another customer in place: chips back on, the filter cleared, one count query and one
index query, no widget created.
"""

from collections.abc import Callable
from datetime import date
from typing import Final

from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import QHideEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.domain import CHANNELS
from desktop.services.customer_screen import TimelineFilter, channel_counts
from desktop.services.store import Cache
from desktop.views.customer.banners import mute, section_title
from desktop.views.customer.channel_style import channel_icon, channel_label
from desktop.views.customer.timeline_delegate import TimelineDelegate
from desktop.views.customer.timeline_model import TimelineModel
from desktop.views.i18n import tr

TEXT_FILTER_DELAY_MS: Final = 250


class TimelineView(QWidget):
    """Channel chips, a text filter and the timeline list of one customer."""

    def __init__(
        self,
        cache: Cache,
        customer_id: str | None,
        *,
        today: Callable[[], date] = date.today,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("timelineView")
        self._cache = cache
        self._customer_id = customer_id
        self.model = TimelineModel(cache, customer_id, today=today, parent=self)

        title = section_title(tr("Timeline"), self)
        self.count_label = mute(QLabel(self))
        self.count_label.setObjectName("timelineCount")

        self.chips: dict[str, QToolButton] = {}
        chips_row = QHBoxLayout()
        chips_row.setSpacing(4)
        for channel in CHANNELS:
            chip = QToolButton(self)
            chip.setCheckable(True)
            chip.setChecked(True)
            chip.setAutoRaise(True)
            chip.setIcon(channel_icon(channel))
            chip.setIconSize(QSize(16, 16))
            chip.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            chip.setAccessibleName(tr("Show {channel} interactions").format(channel=channel_label(channel)))
            chip.setToolTip(tr("Show or hide {channel} interactions").format(channel=channel_label(channel)))
            chip.toggled.connect(self._apply_filter)
            self.chips[channel] = chip
        self.filter_edit = QLineEdit(self)
        self.filter_edit.setPlaceholderText(tr("Filter the timeline…"))
        self.filter_edit.setAccessibleName(tr("Timeline text filter"))
        self.filter_edit.setClearButtonEnabled(True)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(TEXT_FILTER_DELAY_MS)
        self._debounce.timeout.connect(self._apply_filter)
        self.filter_edit.textChanged.connect(self._debounce.start)
        self.filter_edit.returnPressed.connect(self._apply_filter)

        self.list = QListView(self)
        self.list.setObjectName("timelineList")
        self.list.setAccessibleName(tr("Interactions, newest first"))
        self.list.setUniformItemSizes(True)
        self.list.setLayoutMode(QListView.LayoutMode.SinglePass)
        self.list.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setItemDelegate(TimelineDelegate(self.list))
        self.list.setModel(self.model)
        self.empty_label = mute(QLabel(tr("No interactions match."), self))
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)

        header = QHBoxLayout()
        header.addWidget(title)
        header.addStretch(1)
        header.addWidget(self.count_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(header)
        chips_wrap = QVBoxLayout()
        first, second = QHBoxLayout(), QHBoxLayout()
        for n, chip in enumerate(self.chips.values()):
            (first if n < 4 else second).addWidget(chip)
        first.addStretch(1)
        second.addStretch(1)
        chips_wrap.addLayout(first)
        chips_wrap.addLayout(second)
        layout.addLayout(chips_wrap)
        layout.addWidget(self.filter_edit)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.empty_label, 1)
        self.refresh_counts()
        self._show_state()

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802 - Qt's name
        """A pending text filter is applied now rather than by a timer of a hidden view."""
        if self._debounce.isActive():
            self._apply_filter()
        super().hideEvent(event)

    def selected_channels(self) -> frozenset[str] | None:
        """The channels whose chips are on; None when all are (no channel clause in the query)."""
        on = frozenset(c for c, chip in self.chips.items() if chip.isChecked() or not chip.isEnabled())
        return None if len(on) == len(self.chips) else on

    def _apply_filter(self) -> None:
        self._debounce.stop()
        self.model.set_filter(TimelineFilter(self.selected_channels(), self.filter_edit.text()))
        self._show_state()

    def refresh_counts(self) -> None:
        """Chip labels with per-channel counts; chips of unused channels are disabled."""
        counts: dict[str, int] = {}
        if self._customer_id is not None:
            with self._cache.read() as conn:
                counts = channel_counts(conn, self._customer_id)
        for channel, chip in self.chips.items():
            count = counts.get(channel, 0)
            text = f"{channel_label(channel)} {count}"
            if chip.text() != text:  # an unchanged label costs no relayout of the chip rows
                chip.setText(text)
            chip.setEnabled(count > 0)

    def show_customer(self, customer_id: str | None) -> None:
        """Show another customer's timeline: every chip on, no text filter, the newest first."""
        self._debounce.stop()
        self._customer_id = customer_id
        for chip in self.chips.values():
            if not chip.isChecked():
                chip.blockSignals(True)
                chip.setChecked(True)
                chip.blockSignals(False)
        if self.filter_edit.text():
            self.filter_edit.blockSignals(True)
            self.filter_edit.clear()
            self.filter_edit.blockSignals(False)
        self.refresh_counts()
        self.model.show_customer(customer_id)
        self.list.scrollToTop()
        self._show_state()

    def reload(self) -> None:
        """The customer's interactions changed: counts and ids again, keeping the filter."""
        self.refresh_counts()
        self.model.reload()
        self._show_state()

    def _show_state(self) -> None:
        shown = self.model.interaction_count
        count_text = tr("{n} shown").format(n=shown)
        if self.count_label.text() != count_text:
            self.count_label.setText(count_text)
        if shown == 0:
            filtered = self.selected_channels() is not None or bool(self.filter_edit.text().strip())
            self.empty_label.setText(tr("No interactions match.") if filtered else tr("No interactions yet."))
        self.list.setVisible(shown > 0)
        self.empty_label.setVisible(shown == 0)
