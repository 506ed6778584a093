"""The "Offer acceptance" tab of the supervisor's dock: how customers answered offers, per offer and
per queue, over the last 7, 30 or 90 days.

Data: `GET /api/v1/offers/acceptance?days=N` on the network lane (`desktop.services.offer_acceptance`)
the first time the tab is shown, on Refresh, when the window changes, and every `refresh_s`
(5 minutes) while the tab is visible (the timer stops when it is hidden: a report nobody looks at
is not asked for). A newer request makes an older one's answer stale (the task key), so a quick
change of window never shows the figures of the window left behind.

What it says: the totals and when they were fetched; "no responses" for an empty window; a plain
sentence for an agent's 403 (they never get the dock, but the server is the judge); and when the
server cannot be reached, the last figures stay with a line saying they are from an earlier time
and may be out of date. The chosen window is remembered in the UI settings.
"""

import logging
from typing import Final

from PySide6.QtCore import QDateTime, QLocale, Qt, QTimer, Signal
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.services.api_errors import Forbidden, NotFound
from desktop.services.offer_acceptance import (
    WINDOWS,
    fetch_acceptance,
    lines_by_offer,
    lines_by_queue,
    parse_window,
)
from desktop.views.context import ViewContext
from desktop.views.i18n import tr
from desktop.views.supervisor.messages import failure_text
from desktop.views.supervisor.offer_acceptance_model import AcceptanceModel, rate_text
from wire.offers import AcceptanceReport

log = logging.getLogger(__name__)

#: refresh this often while the tab is visible
REFRESH_S: Final = 300.0
#: where the chosen window is remembered (UI settings)
WINDOW_SETTING: Final = "supervisor/offerAcceptanceDays"


class OfferAcceptanceView(QWidget):
    """Acceptance rates per offer and per queue, with a window selector and a Refresh button."""

    #: a report was shown (wire.offers.AcceptanceReport)
    reportShown = Signal(object)  # noqa: N815 - Qt's naming
    #: a load failed (the exception); the figures shown, if any, are kept
    loadFailed = Signal(object)  # noqa: N815 - Qt's naming

    def __init__(
        self, ctx: ViewContext, parent: QWidget | None = None, *, refresh_s: float = REFRESH_S
    ) -> None:
        super().__init__(parent)
        self.setObjectName("offerAcceptance")
        self.setAccessibleName(tr("Offer acceptance"))
        self._ctx = ctx
        self._task_key = f"offer-acceptance-{id(self)}"
        self._loading = False
        self._started = False
        #: the report shown and when it arrived (local time, for the stale line)
        self.report: AcceptanceReport | None = None
        self._fetched_at = ""
        #: GETs sent (tests, status)
        self.fetches = 0
        #: the figures shown are from an earlier, successful load (the last one failed)
        self.stale = False

        self.window_box = QComboBox(self)
        self.window_box.setObjectName("offerAcceptanceWindow")
        self.window_box.setAccessibleName(tr("Offer acceptance: time window"))
        self.window_box.view().setAccessibleName(tr("Time windows"))
        for days in WINDOWS:
            self.window_box.addItem(tr("Last {days} days").format(days=days), days)
        remembered = parse_window(ctx.settings.value(WINDOW_SETTING) if ctx.settings is not None else None)
        self.window_box.setCurrentIndex(WINDOWS.index(remembered))
        self.window_box.currentIndexChanged.connect(self._window_changed)
        window_label = QLabel(tr("&Window:"), self)
        window_label.setBuddy(self.window_box)
        self.refresh_button = QPushButton(tr("&Refresh"), self)
        self.refresh_button.setObjectName("offerAcceptanceRefresh")
        self.refresh_button.setAccessibleName(tr("Refresh the offer acceptance"))
        self.refresh_button.clicked.connect(lambda _checked=False: self.fetch())
        self.message = QLabel(self)
        self.message.setObjectName("offerAcceptanceMessage")
        self.message.setAccessibleName(tr("Offer acceptance status"))
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setWordWrap(True)

        self.offer_model = AcceptanceModel(tr("Offer"), self)
        self.queue_model = AcceptanceModel(tr("Queue"), self)
        self.offer_view = self._table(self.offer_model, tr("Acceptance per offer"), "offerAcceptanceByOffer")
        self.queue_view = self._table(self.queue_model, tr("Acceptance per queue"), "offerAcceptanceByQueue")

        top = QHBoxLayout()
        top.addWidget(window_label)
        top.addWidget(self.window_box)
        top.addWidget(self.refresh_button)
        top.addWidget(self.message, 1)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.setObjectName("offerAcceptanceSplitter")
        split.addWidget(self.offer_view)
        split.addWidget(self.queue_view)
        split.setChildrenCollapsible(False)
        split.setStretchFactor(0, 3)  # offer titles are longer than queue names
        split.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(split, 1)

        self.refresh_timer = QTimer(self)
        self.refresh_timer.setObjectName("offerAcceptanceRefreshTimer")
        self.refresh_timer.setInterval(max(1000, int(refresh_s * 1000)))
        self.refresh_timer.timeout.connect(self._refresh_if_idle)
        self._say(tr("The offer acceptance loads when this tab is shown."))

    def _table(self, model: AcceptanceModel, name: str, object_name: str) -> QTableView:
        view = QTableView(self)
        view.setObjectName(object_name)
        view.setAccessibleName(name)
        view.setModel(model)
        view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        view.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        view.setWordWrap(False)
        view.setAlternatingRowColors(True)
        header = view.horizontalHeader()
        header.setAccessibleName(tr("{table}: columns").format(table=name))
        # the name as wide as the longest (a few rows: cheap), the figures share the rest
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)
        header.setMinimumSectionSize(48)
        # most responses first, as the server sends them; a header click sorts in the model
        header.setSortIndicator(1, Qt.SortOrder.DescendingOrder)
        view.setSortingEnabled(True)
        view.verticalHeader().setAccessibleName(tr("{table}: rows").format(table=name))
        view.verticalHeader().hide()
        view.verticalHeader().setDefaultSectionSize(24)
        return view

    # -- data ------------------------------------------------------------------------------------

    @property
    def loading(self) -> bool:
        """A request is on its way (the timer does not send another meanwhile)."""
        return self._loading

    @property
    def days(self) -> int:
        value = self.window_box.currentData()
        return value if isinstance(value, int) else WINDOWS[0]

    def fetch(self) -> None:
        """Ask for the chosen window's report (an earlier request still running is overtaken)."""
        self._started = True
        api = self._ctx.api
        if api is None:
            self._say(tr("Not connected to the server: the offer acceptance shows once signed in."))
            return
        days = self.days
        self.fetches += 1
        self._loading = True
        if self.report is None or self.report.days != days:
            self._say(tr("Loading the offer acceptance for the last {days} days…").format(days=days))
        self._ctx.tasks.network(
            lambda: fetch_acceptance(api, days), done=self._loaded, failed=self._failed, key=self._task_key
        )

    def _refresh_if_idle(self) -> None:
        if not self._loading:
            self.fetch()

    def _window_changed(self, _index: int) -> None:
        if self._ctx.settings is not None:
            self._ctx.settings.setValue(WINDOW_SETTING, self.days)
        self.fetch()

    def _loaded(self, report: AcceptanceReport) -> None:
        self._loading = False
        self.report = report
        self.stale = False
        self._fetched_at = QLocale().toString(
            QDateTime.currentDateTime().time(), QLocale.FormatType.ShortFormat
        )
        self.offer_model.set_lines(lines_by_offer(report))
        self.queue_model.set_lines(lines_by_queue(report))
        total = report.total
        if total.offered == 0:
            self._say(tr("No offer responses in the last {days} days.").format(days=report.days))
        else:
            self._say(
                tr(
                    "Last {days} days: {offered} responses, {accepted} accepted ({rate}). Updated {time}."
                ).format(
                    days=report.days,
                    offered=total.offered,
                    accepted=total.accepted,
                    rate=rate_text(total.rate),
                    time=self._fetched_at,
                )
            )
        self.reportShown.emit(report)

    def _failed(self, exc: BaseException) -> None:
        self._loading = False
        if isinstance(exc, Forbidden):
            text = tr("Offer acceptance is for supervisors and admins.")
        elif isinstance(exc, NotFound):
            text = tr("This server does not report offer acceptance.")
        else:
            log.warning("the offer acceptance failed: %s", type(exc).__name__)
            text = failure_text(exc, tr("load the offer acceptance"))
        if self.report is not None and not isinstance(exc, Forbidden):
            self.stale = True
            text += " " + tr(
                "The figures shown are for the last {days} days as of {time} and may be out of date."
            ).format(days=self.report.days, time=self._fetched_at)
        self._say(text)
        self.loadFailed.emit(exc)

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.message.setAccessibleDescription(text)

    # -- the timer follows visibility ------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if not self._started:
            self.fetch()
        self.refresh_timer.start()

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802 - Qt's name
        self.refresh_timer.stop()
        super().hideEvent(event)
