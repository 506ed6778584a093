"""The shell's start-up integrity check: critical tables before the window, the whole file after it.

Each test starts the shell offline (a loopback port nobody listens on) on the profile's encrypted
cache, as an agent's laptop without a network would:
- a damaged mirror page passes the check at open; the window opens on the cache, the background
  check finds the damage, the window says so and the recovery is scheduled; the next start
  recovers the file and re-queues the unsent edits;
- a damaged outbox is found before the window gets the cache and is recovered at once, and the
  window says what happened;
- a shutdown before the background check was due stops its timer and cancels it.
"""

import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import select, text

from desktop.app import UI_SETTINGS, Shell, ShellOptions
from desktop.services.profile_cache import cache_key, cache_path
from desktop.services.session import SignInRequest
from desktop.services.settings import Paths, resolve_paths
from desktop.services.store import apply_local_edit, apply_page, new_record_id, open_cache
from desktop.services.store.integrity import recovery_marker_path
from desktop.services.store.schema import outbox
from desktop.views.main_window import MainWindow
from tests.gui.conftest import wait_for
from tests.support.net import free_port
from wire.fast import ValidatedChange
from wire.records import validate_record

pytestmark = [pytest.mark.gui, pytest.mark.usefixtures("keyring_file")]
PAGE = 4096


def _customer(row_id: str, seq: int, name: str) -> ValidatedChange:
    record = validate_record("customer", {"display_name": name, "territory_id": "t1"})
    return ValidatedChange(
        seq=seq, entity="customer", id=row_id, op="upsert", version=1, record=record, extra={}
    )


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    return resolve_paths(tmp_path / "profile").ensure()


def _build(paths: Paths) -> list[str]:
    """The profile's encrypted cache: 1,500 mirrored customers and two unsent edits (their ids)."""
    cache, _ = open_cache(cache_path(paths), cache_key(paths.data_dir.parent, create=True))
    with cache:
        apply_page(cache.writer, "directory", [_customer("c1", 1, "Ada Lovelace")], "a")
        apply_local_edit(cache.writer, "customer", "c1", "update", {"region": "North"})
        apply_local_edit(
            cache.writer,
            "customer",
            new_record_id(),
            "create",
            {"display_name": "Offline Co", "territory_id": "t1"},
        )
        bulk = [_customer(f"bulk-{i:05}", i + 2, f"Bulk Customer {i} " + "x" * 200) for i in range(1500)]
        apply_page(cache.writer, "directory", bulk, "b")
        with cache.read() as conn:
            return [
                str(m)
                for m in conn.execute(select(outbox.c.mutation_id).order_by(outbox.c.client_seq)).scalars()
            ]


def _spoil_table(paths: Paths, table: str) -> None:
    """Overwrite the root page of `table` in the cache file with bytes no b-tree page can hold."""
    path = cache_path(paths)
    cache, _ = open_cache(path, cache_key(paths.data_dir.parent, create=False))
    with cache, cache.read() as conn:
        page = conn.execute(text("SELECT rootpage FROM sqlite_schema WHERE name = :t"), {"t": table}).scalar()
    assert isinstance(page, int) and page > 1
    with path.open("r+b") as handle:
        handle.seek((page - 1) * PAGE)
        handle.write(b"\xa5" * PAGE)


@pytest.fixture
def shells(qapp: QApplication, paths: Paths) -> Iterator[list[Shell]]:
    started: list[Shell] = []
    yield started
    for shell in started:
        if shell not in _closed:
            _close(shell)


def _start(qapp: QApplication, paths: Paths, shells: list[Shell], *, delay_ms: int = 0) -> Shell:
    server = f"http://127.0.0.1:{free_port()}"  # nobody listens: the session starts offline
    settings = QSettings(str(paths.data_dir / UI_SETTINGS), QSettings.Format.IniFormat)
    options = ShellOptions(
        server_url=server,
        username="agent",
        auto_sign_in=SignInRequest(server, "agent", "demo", False),
        integrity_check_delay_ms=delay_ms,
    )
    shell = Shell(qapp, paths, settings, options)
    shells.append(shell)
    shell.start()
    return shell


_closed: "weakref.WeakSet[Shell]" = weakref.WeakSet()


def _close(shell: Shell) -> None:
    """What the app does when the user closes the window: the window saves its state, then shutdown."""
    _closed.add(shell)
    if shell.window is not None:
        shell.window.close()
    shell.shutdown()


def _window(qtbot: QtBot, shell: Shell) -> MainWindow:
    wait_for(
        qtbot, lambda: shell.window is not None and shell.window.isVisible() and shell.session is not None
    )
    assert shell.window is not None
    return shell.window


def _pending(shell: Shell) -> list[str]:
    assert shell.session is not None
    with shell.session.cache.read() as conn:
        return [
            str(m)
            for m in conn.execute(
                select(outbox.c.mutation_id).where(outbox.c.state == "pending").order_by(outbox.c.client_seq)
            ).scalars()
        ]


def test_damage_outside_the_critical_tables_is_found_after_the_window_and_repaired_next_start(
    qtbot: QtBot, qapp: QApplication, paths: Paths, shells: list[Shell]
) -> None:
    mutation_ids = _build(paths)
    _spoil_table(paths, "customer")

    shell = _start(qapp, paths, shells)
    window = _window(qtbot, shell)
    assert shell.session is not None and shell.session.startup is not None
    assert shell.session.startup.outcome == "opened" and shell.session.startup.checked == "critical"
    assert _pending(shell) == mutation_ids  # the window's cache: the critical tables were checked
    wait_for(qtbot, lambda: shell.integrity is not None)
    assert shell.integrity is not None and shell.integrity.outcome == "damaged"
    assert window.notice.isVisible()
    assert "offline cache is damaged" in window.notice.text()
    assert "restart Liaison Desk to repair" in window.notice.text()
    assert recovery_marker_path(cache_path(paths)).exists()
    _close(shell)

    again = _start(qapp, paths, shells)
    window = _window(qtbot, again)
    assert again.session is not None and again.session.startup is not None
    assert again.session.startup.recovered
    assert again.session.integrity is None  # a rebuilt file needs no background check
    assert "has been rebuilt" in window.notice.text()
    assert "2 unsent change(s) were recovered" in window.notice.text()
    assert _pending(again) == mutation_ids
    assert not recovery_marker_path(cache_path(paths)).exists()


def test_a_damaged_outbox_is_recovered_before_the_window_gets_the_cache(
    qtbot: QtBot, qapp: QApplication, paths: Paths, shells: list[Shell]
) -> None:
    _build(paths)
    _spoil_table(paths, "outbox")

    shell = _start(qapp, paths, shells)
    window = _window(qtbot, shell)
    assert shell.session is not None and shell.session.startup is not None
    assert shell.session.startup.recovered
    moved = shell.session.startup.moved_to
    assert moved is not None and moved.exists()
    assert "has been rebuilt" in window.notice.text()
    assert "working offline" in window.notice.text()
    assert shell.session.integrity is None and shell.integrity is None


def test_shutdown_before_the_background_check_is_due_stops_and_cancels_it(
    qtbot: QtBot, qapp: QApplication, paths: Paths, shells: list[Shell]
) -> None:
    _build(paths)
    shell = _start(qapp, paths, shells, delay_ms=3_600_000)
    _window(qtbot, shell)
    assert shell.session is not None and shell.session.integrity is not None
    assert not shell.session.integrity.cancelled
    _close(shell)
    assert shell.session.integrity.cancelled
    assert shell.integrity is None
    assert shell.session.integrity.run().outcome == "cancelled"
