"""Queue alerts for the supervisor: a desktop notification once per breach, and a list in the panel.

A breach (`queue_watch_alerts.AlertEvent`, already de-flapped by hysteresis) becomes one tray
notification (`QSystemTrayIcon.showMessage`) where the desktop has a system tray; where it has none
(the offscreen platform of the tests, some Linux desktops) the in-app log is the notification. Every
breach and recovery is also a line in the log (`alert_log`: the last `KEEP` lines, newest at the
bottom, selectable and copyable; `lines()` gives them newest first), so a missed notification can
be read again. A snapshot's alerts go into the log as one insert, so the log repaints once per
snapshot whatever the number of alerts (only its incoming lines, when it shows its end).
`shown` counts the notifications raised (tests).
"""

from datetime import datetime

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QSystemTrayIcon, QWidget

from desktop.services.queue_watch_alerts import AlertEvent, Metric
from desktop.views.i18n import tr
from desktop.views.supervisor.alert_log import KEEP, AlertLogModel, AlertLogView
from desktop.views.supervisor.formats import duration, fraction


def metric_label(metric: Metric) -> str:
    labels = {
        "service_level": tr("service level"),
        "oldest_wait": tr("oldest wait"),
        "waiting": tr("contacts waiting"),
        "abandon_rate": tr("abandon rate"),
    }
    return labels[metric]


def _value(metric: Metric, value: float) -> str:
    if metric in ("service_level", "abandon_rate"):
        return fraction(value)
    if metric == "oldest_wait":
        return duration(value)
    return str(int(value))


def alert_text(event: AlertEvent) -> str:
    """`Queue 1: service level 62 % (threshold 80 %)` or `… recovered: …`."""
    what = metric_label(event.metric)
    values = {
        "queue": event.queue_name,
        "what": what,
        "value": _value(event.metric, event.value),
        "threshold": _value(event.metric, event.threshold),
    }
    if event.kind == "breach":
        return tr("{queue}: {what} {value} (threshold {threshold})").format(**values)
    return tr("{queue}: {what} recovered, {value}").format(**values)


class AlertNotifier(QObject):
    """Shows alert events; `tray` may be given (tests) or is made when the desktop has a tray."""

    #: a breach was notified (its text)
    notified = Signal(str)

    def __init__(self, parent: QWidget, icon: QIcon, tray: QSystemTrayIcon | None = None) -> None:
        super().__init__(parent)
        self.lines_model = AlertLogModel(KEEP, self)
        self.log = AlertLogView(self.lines_model, parent)
        self.log.setObjectName("queueAlerts")
        self.log.setAccessibleName(tr("Queue alerts"))
        if tray is None and QSystemTrayIcon.isSystemTrayAvailable():
            tray = QSystemTrayIcon(icon, self)
            tray.setToolTip(tr("Liaison Desk: queue alerts"))
            tray.show()
        self.tray = tray
        self.shown = 0

    def handle(self, events: list[AlertEvent]) -> None:
        """Log every event (one insert for all of them) and notify each breach once."""
        if not events:
            return
        stamp = datetime.now().strftime("%H:%M:%S")
        texts = [alert_text(event) for event in events]
        self.lines_model.add([f"{stamp}  {text}" for text in texts])
        for event, text in zip(events, texts, strict=True):
            if event.kind == "breach":
                self.shown += 1
                if self.tray is not None:
                    self.tray.showMessage(
                        tr("Queue alert"), text, QSystemTrayIcon.MessageIcon.Warning, 10_000
                    )
                self.notified.emit(text)

    def lines(self) -> list[str]:
        """The log's lines, newest first."""
        return self.lines_model.lines()
