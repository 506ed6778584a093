"""GUI tests run real Qt widgets on the offscreen platform unless a platform is chosen already.

- `no_leaks` (autouse) fails a test that leaves behind a running thread (Python or QThread), a
  QTimer it started, or a visible top-level window — what napari's conftest checks; the leftovers
  are cleaned up so one leak does not fail the tests after it;
- `keyring_file`: a file keyring (`tests/support/file_keyring.py`) for the test and the processes
  it starts;
- `gui_server`: the real API over loopback on a copy of a per-module SQLite database holding the
  demo users (password "demo"), two customers and an open case; `restart()` brings it back on a
  new port after `stop()`, behind a fixed-port proxy so clients keep their URL.
"""

import os
import shutil
import threading
import uuid
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import keyring
import pytest
from keyring.backends import fail
from PySide6.QtCore import QEvent, QThread, QTimer
from PySide6.QtWidgets import QApplication

from server.db.engine import Database
from server.sync.changes import ChangeWriter
from tests.e2e.conftest import seed_database
from tests.support.demo import DemoData
from tests.support.fault_proxy import FaultProxy
from tests.support.file_keyring import BACKEND_NAME, ENV_FILE, FileKeyring
from tests.support.live import LiveServer, start_live_server

ROOT = Path(__file__).resolve().parents[2]
#: how long a thread the test started may take to end after the test (join, not a sleep)
THREAD_GRACE_S = 30.0


# -- leaks -------------------------------------------------------------------------------------------


def _live_top_levels(app: QApplication) -> set[int]:
    return {id(w) for w in app.topLevelWidgets() if w.isVisible()}


@pytest.fixture(autouse=True)
def no_leaks(monkeypatch: pytest.MonkeyPatch, qapp: QApplication) -> Iterator[None]:
    threads_before = set(threading.enumerate())
    windows_before = _live_top_levels(qapp)
    started_timers: weakref.WeakSet[QTimer] = weakref.WeakSet()
    started_qthreads: weakref.WeakSet[QThread] = weakref.WeakSet()
    timer_start = QTimer.start
    qthread_start = QThread.start

    def track_timer(self: QTimer, *args: Any) -> None:
        # as the real slot: a signal's extra arguments (a typed text, say) are not an interval
        started_timers.add(self)
        if args and isinstance(args[0], int):
            timer_start(self, args[0])
        else:
            timer_start(self)

    def track_qthread(self: QThread, *args: Any) -> None:
        started_qthreads.add(self)
        qthread_start(self, *args)

    monkeypatch.setattr(QTimer, "start", track_timer)
    monkeypatch.setattr(QThread, "start", track_qthread)
    yield
    # pytest-qt closed the test's widgets with deleteLater(): let those deletions happen first
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    problems: list[str] = []
    for thread in set(threading.enumerate()) - threads_before:
        thread.join(THREAD_GRACE_S)
        if thread.is_alive():
            problems.append(f"thread {thread.name!r} is still running")
    for qthread in list(started_qthreads):
        try:
            running = qthread.isRunning()
        except RuntimeError:  # already deleted on the C++ side: not running
            continue
        if running and not qthread.wait(int(THREAD_GRACE_S * 1000)):
            problems.append(f"QThread {qthread!r} is still running")
    for timer in list(started_timers):
        try:
            active = timer.isActive()
        except RuntimeError:
            continue
        if active:
            problems.append(f"QTimer {timer.objectName() or timer!r} is still active")
            timer.stop()
    for widget in qapp.topLevelWidgets():
        if widget.isVisible() and id(widget) not in windows_before:
            problems.append(
                f"top-level window {type(widget).__name__} {widget.objectName()!r} is still visible"
            )
            widget.close()
    if problems:
        pytest.fail("the test leaked: " + "; ".join(problems))


# -- keyring ------------------------------------------------------------------------------------------


@pytest.fixture
def keyring_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """A file keyring for this test (and the env that gives it to a subprocess)."""
    path = tmp_path / "keyring.json"
    monkeypatch.setenv(ENV_FILE, str(path))
    keyring.set_keyring(FileKeyring(path))
    env = {**os.environ, ENV_FILE: str(path), "PYTHON_KEYRING_BACKEND": BACKEND_NAME, "PYTHONPATH": str(ROOT)}
    yield env
    keyring.set_keyring(fail.Keyring())


# -- the server ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GuiSeed:
    data: DemoData
    customer_ids: tuple[str, str]
    case_id: str


def _seed(path: Path) -> GuiSeed:
    """The e2e world (demo users, Ada Lovelace with case CS-1 owned by agent) plus Grace Hopper."""
    url = f"sqlite:///{path}"
    world = seed_database(url)
    grace = str(uuid.uuid4())
    db = Database(url)
    try:
        with db.write() as conn:
            writer = ChangeWriter(conn)
            writer.insert(
                "customer",
                {"id": grace, "display_name": "Grace Hopper", "territory_id": world.data.territory_ids[0]},
            )
            writer.notify()
    finally:
        db.dispose()
    return GuiSeed(data=world.data, customer_ids=(world.customer_id, grace), case_id=world.case_id)


@pytest.fixture(scope="module")
def _gui_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GuiSeed]:
    path = tmp_path_factory.mktemp("gui-template") / "server.db"
    return path, _seed(path)


@dataclass
class GuiServer:
    """The real API behind a proxy whose address stays the same across a stop and a restart."""

    path: Path
    seed: GuiSeed
    proxy: FaultProxy
    live: LiveServer | None = None
    stopped: list[LiveServer] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.proxy.url

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.path}"

    def start(self) -> None:
        self.live = start_live_server(self.db_url)
        self.proxy.upstream_port = int(self.live.url.rsplit(":", 1)[1])

    def stop(self) -> None:
        if self.live is not None:
            self.live.stop()
            self.stopped.append(self.live)
            self.live = None
        self.proxy.close_all()

    def query(self, sql: str, **params: Any) -> list[Any]:
        from sqlalchemy import create_engine, text

        engine = create_engine(self.db_url)
        try:
            with engine.connect() as conn:
                return list(conn.execute(text(sql), params).all())
        finally:
            engine.dispose()


@pytest.fixture
def gui_server(tmp_path: Path, _gui_template: tuple[Path, GuiSeed]) -> Iterator[GuiServer]:
    source, seed = _gui_template
    target = tmp_path / "server" / "server.db"
    target.parent.mkdir()
    for suffix in ("", "-wal", "-shm"):
        copy = source.with_name(source.name + suffix)
        if copy.exists():
            shutil.copyfile(copy, target.with_name(target.name + suffix))
    proxy = FaultProxy(upstream_port=1).start()
    server = GuiServer(path=target, seed=seed, proxy=proxy)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        proxy.stop()


def wait_for(qtbot: Any, condition: Callable[[], bool], timeout_ms: int = 120_000) -> None:
    """`qtbot.waitUntil` with the generous time-out of this shared machine."""
    qtbot.waitUntil(condition, timeout=timeout_ms)
