"""Queue alerts for the supervisor: a desktop notification once per breach, and a list in the panel.

A breach (`queue_watch_alerts.AlertEvent`, already de-flapped by hysteresis) becomes one tray
notification (`QSystemTrayIcon.showMessage`) where the desktop has a system tray; where it has none
(the offscreen platform of the tests, some Linux desktops) the in-app log is the notification. Every
breach and recovery is also a line in the log (newest last, scrolled into view), so a missed
notification can be read again. The log is a read-only plain-text view that keeps its last `KEEP`
lines: appending a line costs a fraction of a millisecond, where a list widget re-laid out all its
items on every insert (about 10 ms of the GUI thread per snapshot with alerts, bench/queue_panel.py).
`shown` counts the notifications raised (tests).
"""

from datetime import datetime

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QPlainTextEdit, QSystemTrayIcon, QWidget

from desktop.services.queue_watch_alerts import AlertEvent, Metric
from desktop.views.i18n import tr
from desktop.views.supervisor.formats import duration, fraction

#: at most this many lines in the log (the oldest fall off)
KEEP = 200


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
        self.log = QPlainTextEdit(parent)
        self.log.setObjectName("queueAlerts")
        self.log.setAccessibleName(tr("Queue alerts"))
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(KEEP)
        self.log.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.log.setPlaceholderText(tr("Queue alerts show here."))
        if tray is None and QSystemTrayIcon.isSystemTrayAvailable():
            tray = QSystemTrayIcon(icon, self)
            tray.setToolTip(tr("Liaison Desk: queue alerts"))
            tray.show()
        self.tray = tray
        self.shown = 0

    def handle(self, events: list[AlertEvent]) -> None:
        for event in events:
            text = alert_text(event)
            stamp = datetime.now().strftime("%H:%M:%S")
            self.log.appendPlainText(f"{stamp}  {text}")
            if event.kind == "breach":
                self.shown += 1
                if self.tray is not None:
                    self.tray.showMessage(
                        tr("Queue alert"), text, QSystemTrayIcon.MessageIcon.Warning, 10_000
                    )
                self.notified.emit(text)

    def lines(self) -> list[str]:
        """The log's lines, newest first."""
        text = self.log.toPlainText()
        return list(reversed(text.splitlines())) if text else []
