"""The main window. In this milestone it shows which server and user the desktop is set up for."""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMainWindow, QWidget

from desktop.views.i18n import tr


class MainWindow(QMainWindow):
    """The top-level window: title, a summary in the middle, server and user in the status bar."""

    def __init__(self, server_url: str, username: str | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setWindowTitle(tr("Liaison Desk"))
        self.resize(960, 600)
        user = username or tr("not signed in")

        summary = QLabel(tr("Server: {server}\nUser: {user}").format(server=server_url, user=user), self)
        summary.setObjectName("connectionSummary")
        summary.setAlignment(Qt.AlignmentFlag.AlignCenter)
        summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setCentralWidget(summary)

        self.server_label = QLabel(tr("Server: {server}").format(server=server_url), self)
        self.server_label.setObjectName("serverLabel")
        self.user_label = QLabel(tr("User: {user}").format(user=user), self)
        self.user_label.setObjectName("userLabel")
        status = self.statusBar()
        status.addPermanentWidget(self.server_label)
        status.addPermanentWidget(self.user_label)
