"""The About dialog: the version, and where this profile keeps its cache and its logs.

The paths are shown so support can find them; they are selectable text, not secrets.
"""

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QVBoxLayout, QWidget

from desktop import __version__
from desktop.views.i18n import tr
from desktop.views.icons import icon


class AboutDialog(QDialog):
    """Version, server, cache path and log path, in a small modal dialog."""

    def __init__(
        self,
        *,
        cache_path: Path | None,
        log_path: Path,
        server_url: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("aboutDialog")
        self.setWindowTitle(tr("About Liaison Desk"))
        self.setWindowIcon(icon("app"))
        self.setAccessibleName(tr("About Liaison Desk"))
        heading = QLabel(tr("Liaison Desk"), self)
        heading.setObjectName("placeholderTitle")
        heading.setAccessibleName(tr("Application name"))
        self.version = self._value("version", tr("Version"), __version__)
        self.server = self._value("server", tr("Server"), server_url)
        cache_text = str(cache_path) if cache_path is not None else tr("no offline cache is open")
        self.cache_path = self._value("cachePath", tr("Offline cache file"), cache_text)
        self.log_path = self._value("logPath", tr("Log file"), str(log_path))
        form = QFormLayout()
        form.addRow(tr("Version"), self.version)
        form.addRow(tr("Server"), self.server)
        form.addRow(tr("Offline cache"), self.cache_path)
        form.addRow(tr("Log file"), self.log_path)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close = buttons.button(QDialogButtonBox.StandardButton.Close)
        close.setText(tr("Close"))
        close.setAccessibleName(tr("Close the About dialog"))
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def _value(self, name: str, accessible: str, text: str) -> QLabel:
        label = QLabel(text, self)
        label.setObjectName(name)
        label.setAccessibleName(accessible)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        return label
