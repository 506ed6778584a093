"""The task runner: serial writes in order, results on the GUI thread, stale results dropped,
failures delivered, the inline mode, and a shutdown that finishes queued writes and ends its threads."""

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QThread
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import text

from desktop.services.store import Cache, Writer, open_cache
from desktop.views.tasks import NoWriterError, TaskRunner
from tests.gui.conftest import wait_for

pytestmark = pytest.mark.gui


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[Cache]:
    opened, _report = open_cache(tmp_path / "cache.db", None)
    with opened.writer.transaction() as conn:
        conn.execute(text("CREATE TABLE lane_log (seq INTEGER PRIMARY KEY, value INTEGER NOT NULL)"))
    yield opened
    opened.close()


@pytest.fixture
def runner(cache: Cache) -> Iterator[TaskRunner]:
    tasks = TaskRunner(cache.writer)
    yield tasks
    tasks.shutdown()


def _append(writer: Writer, value: int) -> int:
    with writer.transaction() as conn:
        conn.execute(text("INSERT INTO lane_log (value) VALUES (:v)"), {"v": value})
    return value


def _logged(cache: Cache) -> list[int]:
    with cache.read() as conn:
        return [int(v) for (v,) in conn.execute(text("SELECT value FROM lane_log ORDER BY seq"))]


def _on_gui_thread() -> bool:
    app = QCoreApplication.instance()
    assert app is not None
    return QThread.currentThread() is app.thread() and threading.current_thread() is threading.main_thread()


def test_writes_run_one_at_a_time_in_submission_order(qtbot: QtBot, cache: Cache, runner: TaskRunner) -> None:
    gate = threading.Event()
    running = threading.Event()
    overlap: list[int] = []
    active = [0]
    lock = threading.Lock()

    def blocked(writer: Writer) -> int:
        running.set()
        assert gate.wait(120)
        return _append(writer, 0)

    def counted(writer: Writer, value: int) -> int:
        with lock:
            active[0] += 1
            overlap.append(active[0])
        try:
            return _append(writer, value)
        finally:
            with lock:
                active[0] -= 1

    delivered: list[int] = []
    runner.write(blocked, done=delivered.append)
    for value in range(1, 50):
        runner.write(lambda w, v=value: counted(w, v), done=delivered.append)
    assert running.wait(120)
    assert _logged(cache) == []  # everything queued behind the first write
    gate.set()

    wait_for(qtbot, lambda: len(delivered) == 50)
    assert delivered == list(range(50))
    assert _logged(cache) == list(range(50))
    assert max(overlap) == 1


def test_results_and_failures_arrive_on_the_gui_thread(qtbot: QtBot, runner: TaskRunner) -> None:
    seen: list[tuple[str, bool, object]] = []
    worker_threads: list[str] = []

    def work() -> str:
        worker_threads.append(threading.current_thread().name)
        return "answer"

    def boom() -> str:
        raise ValueError("the server said no")

    runner.network(work, done=lambda v: seen.append(("done", _on_gui_thread(), v)))
    runner.network(
        boom,
        done=lambda v: seen.append(("wrong", True, v)),
        failed=lambda e: seen.append(("failed", _on_gui_thread(), e)),
    )
    runner.write(lambda w: 1 // 0, failed=lambda e: seen.append(("write failed", _on_gui_thread(), e)))

    wait_for(qtbot, lambda: len(seen) == 3)
    by_kind = {kind: (gui, value) for kind, gui, value in seen}
    assert by_kind["done"] == (True, "answer")
    assert by_kind["failed"][0] is True
    assert isinstance(by_kind["failed"][1], ValueError)
    assert str(by_kind["failed"][1]) == "the server said no"
    assert by_kind["write failed"][0] is True
    assert isinstance(by_kind["write failed"][1], ZeroDivisionError)
    assert "wrong" not in by_kind
    assert worker_threads and worker_threads[0].startswith("liaison-net")


def test_a_newer_task_with_the_same_key_makes_the_older_result_stale(
    qtbot: QtBot, cache: Cache, runner: TaskRunner
) -> None:
    delivered: list[str] = []
    # the write lane is serial: the first result is handed over before the second task starts
    runner.write(lambda w: "old", done=delivered.append, key="customer-1")
    runner.write(lambda w: "new", done=delivered.append, key="customer-1")
    runner.write(lambda w: "other", done=delivered.append, key="customer-2")
    wait_for(qtbot, lambda: len(delivered) == 2 and runner.dropped == 1)
    assert delivered == ["new", "other"]

    gate = threading.Event()
    runner.network(lambda: gate.wait(120) and "slow search", done=delivered.append, key="search")
    runner.network(lambda: "fresh search", done=delivered.append, key="search")
    wait_for(qtbot, lambda: "fresh search" in delivered)
    gate.set()
    wait_for(qtbot, lambda: runner.dropped == 2)
    assert "slow search" not in delivered


def test_inline_mode_runs_everything_at_once_on_the_calling_thread(cache: Cache) -> None:
    threads_before = threading.active_count()
    tasks = TaskRunner(cache.writer, inline=True)
    seen: list[object] = []
    tasks.write(lambda w: _append(w, 7), done=seen.append)
    assert seen == [7]  # before write() returned
    tasks.network(lambda: threading.current_thread() is threading.main_thread(), done=seen.append)
    tasks.network(lambda: int("x"), failed=seen.append)
    assert seen[1] is True
    assert isinstance(seen[2], ValueError)
    assert threading.active_count() == threads_before
    assert _logged(cache) == [7]
    tasks.shutdown()
    ran: list[int] = []
    tasks.network(lambda: ran.append(1), done=seen.append)  # dropped: the views are going away
    assert ran == [] and len(seen) == 3


def test_shutdown_finishes_queued_writes_then_stops_its_threads(qapp: QApplication, cache: Cache) -> None:
    tasks = TaskRunner(cache.writer)
    delivered: list[int] = []
    for value in range(5):
        tasks.write(lambda w, v=value: _append(w, v), done=delivered.append)
    tasks.network(lambda: 1, done=delivered.append)

    tasks.shutdown()
    tasks.shutdown()  # idempotent

    assert _logged(cache) == list(range(5))  # no queued local edit is lost
    assert not [t for t in threading.enumerate() if t.name.startswith(("liaison-write", "liaison-net"))]
    qapp.processEvents()
    assert delivered == []  # the views are going away: nothing is delivered after shutdown
    with pytest.raises(RuntimeError):
        tasks.write(lambda w: 0)


def test_writing_without_a_cache_is_refused(qapp: QApplication) -> None:
    tasks = TaskRunner(None)
    try:
        with pytest.raises(NoWriterError):
            tasks.write(lambda w: 0)
    finally:
        tasks.shutdown()


def test_the_change_hub_announces_changes_from_any_thread_on_the_gui_thread(qtbot: QtBot) -> None:
    from desktop.services.store import Changed
    from desktop.views.context import ChangeHub

    hub = ChangeHub()
    seen: list[tuple[frozenset[str], bool]] = []
    hub.changed.connect(lambda c: seen.append((c.ids("customer"), _on_gui_thread())))

    def change(row_id: str) -> Changed:
        value = Changed()
        value.add("customer", row_id)
        return value

    hub.publish(change("from-gui"))
    hub.publish(Changed())  # nothing changed: nothing announced
    assert seen == [(frozenset({"from-gui"}), True)]
    worker = threading.Thread(target=lambda: hub.publish(change("from-worker")), name="publisher")
    worker.start()
    worker.join(120)
    wait_for(qtbot, lambda: len(seen) == 2)
    assert seen[1] == (frozenset({"from-worker"}), True)


def test_network_work_after_shutdown_is_dropped_but_a_write_is_refused(
    qapp: QApplication, cache: Cache
) -> None:
    """A poll timer or a server event may fire while the window goes away: its network request
    is dropped quietly, like queued network work; a local edit must never vanish silently."""
    tasks = TaskRunner(cache.writer)
    tasks.shutdown()
    ran: list[int] = []
    tasks.network(lambda: ran.append(1))
    qapp.processEvents()
    assert ran == []
    assert not [t for t in threading.enumerate() if t.name.startswith("liaison-net")]
    with pytest.raises(RuntimeError):
        tasks.write(lambda w: 0)
