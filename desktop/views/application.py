"""The desktop's `QApplication`: the one place that reads events sent to the application itself.

macOS hands a running app a `liaison://pop?phone=…` link (opened in a browser or a CRM) as a
file-open event sent to the application object. `event()` is called only for events sent to the
application, so reading the link here costs nothing for the rest of the app, where an event filter
installed on the application would be a Python call for every event of every widget (about 700 per
screen pop). A pop link is handed on as `popLinkOpened(url)` (the instance server checks it and
pops); other files pass through untouched.
"""

from PySide6.QtCore import QEvent, Signal
from PySide6.QtGui import QFileOpenEvent
from PySide6.QtWidgets import QApplication

from desktop.pop_cli import is_pop_url


class LiaisonApplication(QApplication):
    """`QApplication` that hands on the `liaison://` links the OS opens with the running app."""

    popLinkOpened = Signal(str)  # noqa: N815 - Qt's naming

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.FileOpen and isinstance(event, QFileOpenEvent):
            url = event.url().toString()
            if is_pop_url(url):
                self.popLinkOpened.emit(url)
                return True
        return super().event(event)
