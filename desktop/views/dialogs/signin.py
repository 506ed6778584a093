"""The sign-in dialog: server URL, user name, password and "keep me signed in".

The sign-in itself (`desktop.services.session.open_session`) runs on the task runner's network
lane; the dialog only collects the request, shows progress and words the outcome. A session that
opened offline (server unreachable, cache present) is a success: the window says it is offline.
The password leaves the field as soon as the request is made and is never logged.
"""

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from desktop.services.session import Session, SignInFailed, SignInRequest
from desktop.views.i18n import tr
from desktop.views.icons import icon
from desktop.views.message_label import error_label
from desktop.views.tasks import TaskRunner

OpenSession = Callable[[SignInRequest], Session]


def failure_text(failure: BaseException, server_url: str) -> str:
    """What to tell the user when a sign-in failed."""
    if not isinstance(failure, SignInFailed):
        return tr("The sign-in failed unexpectedly ({kind}).").format(kind=type(failure).__name__)
    if failure.kind == "credentials":
        return tr("The user name or password is not right.")
    if failure.kind == "expired":
        return tr("Your saved sign-in has ended. Please sign in with your password.")
    if failure.kind == "unreachable":
        return tr(
            "The server at {url} cannot be reached and this computer has no offline copy yet. "
            "Check the address and the network, then try again."
        ).format(url=server_url)
    if failure.kind == "keyring":
        return tr("The password store (keyring) cannot be used: {detail}").format(detail=failure.detail)
    if failure.kind == "cache":
        return tr("The offline cache cannot be opened: {detail}").format(detail=failure.detail)
    return tr("The server refused the sign-in: {detail}").format(detail=failure.detail)


class SignInDialog(QDialog):
    """Collects a sign-in and runs it; `signedIn(Session)` on success, then the dialog accepts."""

    signedIn = Signal(object)  # noqa: N815 - Qt's naming

    def __init__(
        self,
        tasks: TaskRunner,
        open_session: OpenSession,
        *,
        server_url: str,
        username: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("signInDialog")
        self.setWindowTitle(tr("Sign in to Liaison Desk"))
        self.setWindowIcon(icon("app"))
        self.setAccessibleName(tr("Sign in"))
        self._tasks = tasks
        self._open_session = open_session
        self.session: Session | None = None

        self.server = self._line("serverUrl", tr("Server address"), server_url)
        self.username = self._line("username", tr("User name"), username)
        self.password = self._line("password", tr("Password"), "")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.keep = QCheckBox(tr("Keep me signed in"), self)
        self.keep.setObjectName("keepSignedIn")
        self.keep.setAccessibleName(tr("Keep me signed in on this computer"))
        self.keep.setToolTip(tr("Your sign-in is kept in the system's password store, never your password."))
        self.message = error_label(self)
        self.message.setAccessibleName(tr("Sign-in message"))

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.sign_in_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.sign_in_button.setText(tr("Sign in"))
        self.sign_in_button.setIcon(icon("signin"))
        self.sign_in_button.setAccessibleName(tr("Sign in"))
        self.sign_in_button.setDefault(True)
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setText(tr("Cancel"))
        cancel.setAccessibleName(tr("Cancel the sign-in"))
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)

        form = QFormLayout()
        form.addRow(tr("&Server"), self.server)
        form.addRow(tr("&User name"), self.username)
        form.addRow(tr("&Password"), self.password)
        form.addRow("", self.keep)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(420)
        (self.password if username else self.username).setFocus()

    def _line(self, name: str, accessible: str, text: str) -> QLineEdit:
        line = QLineEdit(text, self)
        line.setObjectName(name)
        line.setAccessibleName(accessible)
        return line

    def request(self) -> SignInRequest:
        return SignInRequest(
            server_url=self.server.text().strip(),
            username=self.username.text().strip(),
            password=self.password.text(),
            keep_signed_in=self.keep.isChecked(),
        )

    def submit(self) -> None:
        """Start the sign-in with what was typed (on the network lane)."""
        request = self.request()
        if not request.server_url or not request.username or not request.password:
            self.show_message(tr("Enter the server address, your user name and your password."))
            return
        self.password.clear()
        self._set_busy(True)
        self.show_message(tr("Signing in…"), error=False)
        self._tasks.network(
            lambda: self._open_session(request), done=self._succeeded, failed=self._failed, key="sign-in"
        )

    def show_message(self, text: str, *, error: bool = True) -> None:
        self.message.setText(text)
        self.message.setProperty("error", error)
        self.message.show()

    def _set_busy(self, busy: bool) -> None:
        for widget in (self.server, self.username, self.password, self.keep, self.sign_in_button):
            widget.setEnabled(not busy)

    def _succeeded(self, session: Session) -> None:
        self.session = session
        self._set_busy(False)
        self.signedIn.emit(session)
        self.accept()

    def _failed(self, failure: BaseException) -> None:
        self._set_busy(False)
        self.show_message(failure_text(failure, self.server.text().strip()))
        self.password.setFocus()
