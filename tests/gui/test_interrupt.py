"""SIGINT/SIGTERM reach the Qt event loop through a wakeup socket, and the socket stays open."""

import gc
import os
import signal
import sys
from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop.views.interrupt import quit_on_signals

pytestmark = [
    pytest.mark.gui,
    pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals"),
]


@pytest.fixture
def restore_signals() -> Iterator[None]:
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    wakeup_fd = signal.set_wakeup_fd(-1)
    signal.set_wakeup_fd(wakeup_fd)
    yield
    signal.set_wakeup_fd(wakeup_fd)
    for signum, handler in handlers.items():
        signal.signal(signum, handler)


@pytest.mark.usefixtures("restore_signals")
def test_a_signal_runs_the_action_on_the_event_loop(qapp: QApplication, qtbot: QtBot) -> None:
    calls: list[str] = []
    notifier = quit_on_signals(qapp, lambda: calls.append("quit"))
    gc.collect()  # the wakeup socket must survive a collection
    writer_fd = signal.set_wakeup_fd(-1)
    signal.set_wakeup_fd(writer_fd)
    os.fstat(writer_fd)

    with qtbot.waitSignal(notifier.activated, timeout=5000):
        os.kill(os.getpid(), signal.SIGTERM)
    qtbot.waitUntil(lambda: calls == ["quit"], timeout=5000)

    # drained: no spurious wake-ups (a closed writer would make the reader readable forever)
    with qtbot.assertNotEmitted(notifier.activated, wait=100):
        pass
    notifier.setEnabled(False)
    notifier.deleteLater()
