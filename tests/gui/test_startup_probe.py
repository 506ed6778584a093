"""The start-up probe of `bench/cold_start.py` and the checkpoint after a sync cycle, in the shell.

- `LIAISON_EXIT_WHEN_READY=1`: a real `python -m desktop` process with a kept sign-in and an
  encrypted cache, its server down, prints `liaison-ready <time>` once its window has painted with
  the cache open — before the sign-in, which a kept sign-in runs after that first paint, so neither
  the HTTP client nor pydantic nor the sync engine was imported, and before the cache's SQLAlchemy
  side is opened (the cache was opened quickly, with driver connections: `store.quick_open`) —
  quits through the normal shutdown (exit 0) and leaves no WAL behind;
- when a sync cycle ends (a busy state followed by a quiet one), the shell checkpoints the cache on
  the write lane: rows committed while a reader held the WAL back reach the database file then,
  not at exit.
"""

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from desktop.app import READY_PROBE_ENV, UI_SETTINGS, Shell, ShellOptions
from desktop.services.credentials import Credentials
from desktop.services.profile_cache import cache_key, cache_path
from desktop.services.settings import resolve_paths
from desktop.services.store import open_cache
from desktop.services.sync_status import SyncStatus
from desktop.views.tasks import TaskRunner
from tests.gui.conftest import ROOT
from tests.support.net import free_port

pytestmark = [pytest.mark.gui, pytest.mark.usefixtures("keyring_file")]
PROCESS_TIMEOUT_S = 180
#: `python -m desktop`, then which module's check PySide6's import hook ended up with
PROBE = (
    "import sys; from desktop.app import main; code = main(sys.argv[1:]); "
    "print('import-check', sys.modules['shibokensupport.feature']._mod_uses_pyside.__module__); "
    "sys.exit(code)"
)


def test_ready_probe_prints_when_the_window_is_usable_then_exits_cleanly(
    tmp_path: Path, keyring_file: dict[str, str]
) -> None:
    profile = tmp_path / "profile"
    paths = resolve_paths(profile).ensure()
    cache, _report = open_cache(cache_path(paths), cache_key(profile, create=True))
    cache.close()
    server = f"http://127.0.0.1:{free_port()}"  # nobody listens: the session starts offline
    Credentials(server).save("agent", "a-kept-refresh-token")
    env = {**keyring_file, "QT_QPA_PLATFORM": "offscreen", READY_PROBE_ENV: "1"}
    started = time.time()
    result = subprocess.run(
        [
            sys.executable,
            "-X",
            "importtime",  # every module imported, on stderr
            "-c",
            PROBE,
            "--profile",
            str(profile),
            "--server",
            server,
            "--username",
            "agent",
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        timeout=PROCESS_TIMEOUT_S,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    ready = [
        line.split() for line in result.stdout.decode().splitlines() if line.startswith("liaison-ready ")
    ]
    assert len(ready) == 1
    assert started <= float(ready[0][1]) <= time.time()
    log = (paths.log_dir / "desktop.log").read_text()
    assert "window shown from the cache; signing in as agent once it has painted" in log
    # the window painted, and the probe quit, before the sign-in and before the cache's engines
    # were opened: nothing of the network side and no SQLAlchemy was imported on the way
    # (desktop/preload.py, store/quick_open.py)
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.decode().splitlines()}
    assert {
        "desktop.services.store.quick_open",
        "desktop.services.store.search_query",
        "PySide6.QtWidgets",
    } <= imported
    assert not {"httpx", "pydantic", "desktop.services.api", "desktop.services.sync", "sqlalchemy"} & imported
    assert not cache_path(paths).with_name("cache.db-wal").exists()
    # the window's process made PySide6's import hook safe before its lanes imported (qt_import_hook)
    assert "import-check desktop.qt_import_hook" in result.stdout.decode().splitlines()


def _rows_in_the_file(path: Path) -> int:
    """Interactions in the database file itself (`immutable`: the WAL is not read)."""
    conn = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    try:
        return int(conn.execute("SELECT count(*) FROM interaction").fetchone()[0])
    finally:
        conn.close()


def test_the_shell_checkpoints_the_cache_when_a_sync_cycle_ends(qapp: QApplication, tmp_path: Path) -> None:
    paths = resolve_paths(tmp_path / "profile").ensure()
    path = tmp_path / "cache.db"
    cache, _report = open_cache(path, None)
    cache.writer.checkpoint("TRUNCATE")  # the schema into the file: only the rows below are in the WAL
    settings = QSettings(str(paths.data_dir / UI_SETTINGS), QSettings.Format.IniFormat)
    shell = Shell(qapp, paths, settings, ShellOptions(server_url="http://127.0.0.1:1", username=None))
    shell.tasks = TaskRunner(cache.writer, inline=True)
    try:
        with cache.read() as reader:  # holds the WAL back: the automatic checkpoint cannot copy
            reader.exec_driver_sql("SELECT count(*) FROM interaction").scalar()
            with cache.writer.transaction() as conn:
                driver = conn.connection.driver_connection
                assert driver is not None
                driver.executemany(
                    "INSERT INTO interaction (id, version, customer_id, channel, direction, occurred_at, "
                    "summary, extra) VALUES (?, 1, 'c1', 'phone', 'inbound', '2026-01-01T00:00:00+00:00', ?, '{}')",
                    [(f"i{n}", "x" * 1_000) for n in range(3_000)],
                )
        assert _rows_in_the_file(path) == 0
        shell._checkpoint_when_quiet(SyncStatus(state="idle"))  # nothing ran: no checkpoint
        assert _rows_in_the_file(path) == 0
        shell._checkpoint_when_quiet(SyncStatus(state="syncing"))
        assert _rows_in_the_file(path) == 0
        shell._checkpoint_when_quiet(SyncStatus(state="idle"))
        assert _rows_in_the_file(path) == 3_000
    finally:
        shell.tasks.shutdown()
        shell.sign_in_tasks.shutdown()
        cache.close()
