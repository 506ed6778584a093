"""Quit the Qt event loop cleanly on SIGINT/SIGTERM (Ctrl-C in a terminal, `kill`, the demo's trap).

Python runs signal handlers only between bytecodes, and a Qt event loop runs none while idle; the
wakeup fd makes the C-level handler write a byte that a socket notifier turns into a Python call.
"""

import contextlib
import signal
import socket
from collections.abc import Callable
from types import FrameType

from PySide6.QtCore import QCoreApplication, QSocketNotifier, QTimer


def quit_on_signals(app: QCoreApplication, action: Callable[[], None] | None = None) -> QSocketNotifier:
    """Make SIGINT and SIGTERM end `app.exec()` with the usual shutdown instead of killing the process.

    `action` (default: `app.quit`) runs on the GUI thread once per signal. Returns the notifier that
    wakes the event loop (tests watch it).
    """
    act = app.quit if action is None else action
    reader, writer = socket.socketpair()
    reader.setblocking(False)
    writer.setblocking(False)
    signal.set_wakeup_fd(writer.fileno())
    notifier = QSocketNotifier(reader.fileno(), QSocketNotifier.Type.Read, app)
    # `drain` stays connected for the app's life and holds both sockets: were the writer collected,
    # its fd would close and the reader would be readable (EOF) forever, a busy loop
    sockets = (reader, writer)

    def drain() -> None:
        # reading lets Python run the pending handler below
        with contextlib.suppress(BlockingIOError):
            sockets[0].recv(512)

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        # posted, so that a signal that arrives before `exec()` still ends the loop once it runs
        QTimer.singleShot(0, act)

    notifier.activated.connect(drain)
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, on_signal)
    return notifier
