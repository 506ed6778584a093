"""Opening the cache at startup: key check, integrity check, migrations, recovery of a damaged file.

`open_cache(path, key, check=...)` returns the open `Cache` and a `StartupReport` for the UI. A
wrong or missing key raises `CacheKeyError` and leaves the file alone (see `keycheck.py`). A file
that cannot be read or fails its integrity check is moved aside (`cache.db.corrupt-<timestamp>`,
with its -wal/-shm), what can be read of its outbox and acked log is exported to JSON beside it, a
fresh cache is created and the salvaged outbox entries are queued again as pending.

Two depths of check at open (a deliberate deviation from SYNC.md §4.6, which asks for
`PRAGMA quick_check` of the whole file at every start-up: that reads every page, about 8 ms per
MiB, 61 s for a 7.7 GB cache):
- `check="full"`: `PRAGMA quick_check` of the whole file (the default; `liaison sync` uses it);
- `check="critical"`: `PRAGMA quick_check(table)` of the tables that hold work the server has not
  got yet or the sync position (`integrity.CRITICAL_TABLES`), plus reading the schema — a few ms
  whatever the file's size. The desktop opens with this and then runs `integrity.IntegrityCheck`
  (the whole-file check, cancellable, on a worker thread) once its window is shown; damage it
  finds is recovered at the next open (`integrity.schedule_recovery`), which runs the recovery
  before anything else, at either depth. The unsent work stays readable meanwhile: its tables
  passed their own check.

The window's everyday start takes a shorter way when it can (`quick_open.open_quickly`: an
existing, current file with a verified key and no recovery scheduled, checked the same way but
without SQLAlchemy); anything else comes here.

The checks, the background check and the recovery marker live in `integrity.py`, the report in
`report.py` (both without SQLAlchemy).
"""

import logging
import os
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.exc import DBAPIError

from desktop.services.store.connect import driver_errors
from desktop.services.store.database import Cache
from desktop.services.store.driver import raw
from desktop.services.store.integrity import check_problems, recovery_marker_path, scheduled_problem
from desktop.services.store.keycheck import verify_key, write_key_check
from desktop.services.store.migrations import migrate
from desktop.services.store.report import Check, Outcome, StartupReport
from desktop.services.store.salvage import Salvage, read_damaged, reimport, write_export

log = logging.getLogger(__name__)


class _Damaged(Exception):
    pass


def _check(cache: Cache, check: Check) -> None:
    """Raise `_Damaged` unless the file reads and passes `PRAGMA quick_check` (of the whole file,
    or of each critical table)."""
    try:
        with cache.writer.transaction() as conn:
            results = check_problems(raw(conn), check)
    except DBAPIError as exc:
        raise _Damaged(f"the file could not be read: {exc.orig}") from exc
    except driver_errors() as exc:  # raised on the driver connection itself (not wrapped)
        raise _Damaged(f"the file could not be read: {exc}") from exc
    if results:
        raise _Damaged("integrity check failed: " + "; ".join(results[:5]))


def _move_aside(path: Path) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    os.replace(path, target)
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            os.replace(side, target.with_name(target.name + suffix))
    return target


def open_cache(path: Path, key: str | None, *, check: Check = "full") -> tuple[Cache, StartupReport]:
    """Open (creating, migrating or recovering as needed) the cache at `path`.

    `key`: the profile's SQLCipher key (64 hex digits), None for a plain SQLite file (tests).
    `check`: "full" checks the whole file; "critical" only the tables that hold unsent work and the
    sync position (the caller then runs `IntegrityCheck` in the background). A recovery scheduled
    by a failed background check runs first, whatever `check` says.
    Raises `CacheKeyError` for a wrong or missing key, `CacheError` for a cache from a newer build.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    key_status = verify_key(path, key)
    scheduled = scheduled_problem(path)
    if scheduled is not None:
        if path.exists():
            return _recover(path, key, scheduled)
        recovery_marker_path(path).unlink(missing_ok=True)
    try:
        cache = Cache(path, key)
    except DBAPIError as exc:
        return _recover(path, key, f"the file could not be read: {exc.orig}")
    try:
        _check(cache, check)
    except _Damaged as damage:
        cache.close()
        return _recover(path, key, str(damage))
    except BaseException:
        cache.close()
        raise
    try:
        result = migrate(cache.writer, path, key)
    except BaseException:
        cache.close()
        raise
    if key_status == "unknown":
        write_key_check(path, key)
    if result.before == 0:
        outcome: Outcome = "created"
    elif result.before < result.after:
        outcome = "migrated"
    else:
        outcome = "opened"
    report = StartupReport(
        path, outcome, result.before, result.after, backup_path=result.backup, checked=check
    )
    return cache, report


def _recover(path: Path, key: str | None, problem: str) -> tuple[Cache, StartupReport]:
    moved = _move_aside(path)
    # the damaged file is no longer at `path`: whatever happens next, a scheduled recovery is done
    recovery_marker_path(path).unlink(missing_ok=True)
    salvage: Salvage = read_damaged(moved, key)
    export = moved.with_name(moved.name + ".export.json")
    cache = Cache(path, key)
    try:
        result = migrate(cache.writer, path, key)
        with cache.writer.transaction() as conn:
            restored, acked = reimport(conn, salvage)
    except BaseException:
        cache.close()
        raise
    write_export(export, moved, problem, salvage)
    write_key_check(path, key)
    report = StartupReport(
        path,
        "recovered",
        0,
        result.after,
        problem=problem,
        moved_to=moved,
        export_path=export,
        salvaged_outbox=restored,
        salvaged_acked=acked,
        salvage_errors=tuple(salvage.errors),
    )
    return cache, report
