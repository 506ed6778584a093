"""The running instance's end of `liaison pop`: a `QLocalServer` on the profile's local socket.

One process per profile holds the profile lock (`services.profile_lock`); that process also listens
on `desktop.pop_cli.endpoint(data_dir)` (a socket path derived from a hash of the data directory, so
each profile has its own), readable and writable by this user only. A socket file left by a crashed
run is removed before listening: holding the lock proves no other instance uses it.

Each connection sends one request line (`{"pop": {"phone": "…"}}`); the number is checked again
here (`pop_cli.decode_request`), `popRequested(phone)` is emitted on the GUI thread, and the answer
line is written before the connection is closed. Requests over `pop_cli.MAX_LINE` bytes or that do
not parse get an error answer; nothing else reaches the window.

On macOS a `liaison://pop?phone=…` link opened while the app runs is not a command line: the OS
sends the running application a file-open event with the URL, which `LiaisonApplication`
(`views/application.py`) hands to `open_link`; it pops the same way.
"""

import logging
from pathlib import Path
from typing import Final

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from desktop.pop_cli import (
    MAX_LINE,
    PopError,
    decode_request,
    encode_answer,
    endpoint,
    parse_pop_url,
)

log = logging.getLogger(__name__)

#: buffered bytes of a connection that has not sent its line yet
_BUFFER: Final = "popBuffer"


class InstanceServer(QObject):
    """Listens for outside screen pops for one profile."""

    popRequested = Signal(str)  # noqa: N815 - Qt's naming

    def __init__(self, data_dir: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = endpoint(data_dir)
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self.server.newConnection.connect(self._accept)
        #: requests handled (answered), for logs and tests
        self.handled = 0

    def listen(self) -> bool:
        """Start listening (after taking the profile lock); False, logged, when the OS refuses."""
        QLocalServer.removeServer(self.name)
        if self.server.listen(self.name):
            log.info("listening for outside screen pops on %s", self.name)
            return True
        log.warning("outside screen pops are off: %s", self.server.errorString())
        return False

    def close(self) -> None:
        self.server.close()

    def open_link(self, url: str) -> None:
        """A `liaison://pop` link the OS handed the running app (macOS, through
        `LiaisonApplication.popLinkOpened`): pop its number, or log why it was refused."""
        try:
            phone = parse_pop_url(url)
        except PopError as exc:
            log.warning("refused a liaison:// link: %s", exc)
            return
        self.popRequested.emit(phone)

    def _accept(self) -> None:
        while self.server.hasPendingConnections():
            connection = self.server.nextPendingConnection()
            if connection is None:
                return
            connection.setProperty(_BUFFER, b"")
            connection.readyRead.connect(lambda c=connection: self._read(c))
            connection.disconnected.connect(connection.deleteLater)
            if connection.bytesAvailable():
                self._read(connection)

    def _read(self, connection: QLocalSocket) -> None:
        buffered = connection.property(_BUFFER)
        data = (buffered if isinstance(buffered, bytes) else b"") + bytes(connection.readAll().data())
        if b"\n" not in data and len(data) <= MAX_LINE:
            connection.setProperty(_BUFFER, data)
            return
        line = data.split(b"\n", 1)[0]
        error: str | None = None
        try:
            phone = decode_request(line)
        except PopError as exc:
            error = str(exc)
        else:
            self.popRequested.emit(phone)
        self.handled += 1
        connection.write(encode_answer(error))
        connection.flush()
        connection.disconnectFromServer()
