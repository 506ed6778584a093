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
  got yet or the sync position (`CRITICAL_TABLES`), plus reading the schema — a few ms whatever the
  file's size. The desktop opens with this and then runs `IntegrityCheck` (the whole-file check on
  its own read-only connection, on a worker thread, cancellable) once its window is shown. When that
  finds damage it writes a recovery marker beside the file (`cache.db.recover`) rather than
  swapping the file under a running session; the next `open_cache` of that file, at either depth,
  runs the recovery before anything else. The unsent work stays readable meanwhile: its tables
  passed their own check.
"""

import json
import logging
import os
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, Literal

from sqlalchemy.exc import DBAPIError

from desktop.services.store.database import Cache, make_engine
from desktop.services.store.keycheck import verify_key, write_key_check
from desktop.services.store.migrations import migrate
from desktop.services.store.salvage import Salvage, read_damaged, reimport, write_export

Outcome = Literal["opened", "created", "migrated", "recovered"]
#: how much of the file `open_cache` checks before handing the cache over
Check = Literal["full", "critical"]
#: what the whole-file background check found
CheckOutcome = Literal["ok", "damaged", "cancelled", "failed"]

#: the tables whose loss would lose an agent's work or the sync position: the outbox and sqlite's
#: AUTOINCREMENT floor for its `client_seq`, the acked and rejected logs, the sync state and scopes
#: (plus the schema table itself); everything else is a mirror of the server and can be re-primed
CRITICAL_TABLES: Final = (
    "sqlite_schema",
    "sqlite_sequence",
    "outbox",
    "acked_log",
    "rejected_log",
    "sync_state",
    "sync_scope",
)
#: SQLite's primary result codes that mean the file itself is damaged (not busy, not interrupted)
_DAMAGE_CODES: Final = frozenset({"SQLITE_CORRUPT", "SQLITE_NOTADB"})
log = logging.getLogger(__name__)


class _Damaged(Exception):
    pass


@dataclass(frozen=True)
class StartupReport:
    path: Path
    outcome: Outcome
    schema_before: int
    schema_version: int
    backup_path: Path | None = None
    problem: str | None = None
    moved_to: Path | None = None
    export_path: Path | None = None
    salvaged_outbox: int = 0
    salvaged_acked: int = 0
    salvage_errors: tuple[str, ...] = ()
    #: how much of the file was checked before it was handed over ("critical": the rest is for
    #: `IntegrityCheck`; a created or recovered file is new, so the whole of it counts as checked)
    checked: Check = "full"

    @property
    def needs_full_check(self) -> bool:
        """An existing file opened after checking only its critical tables."""
        return self.checked == "critical" and self.outcome in ("opened", "migrated")

    @property
    def recovered(self) -> bool:
        return self.outcome == "recovered"

    def message(self) -> str:
        """What happened, in words for the user."""
        if self.outcome == "opened":
            return "The offline cache is ready."
        if self.outcome == "created":
            return "A new offline cache was created; it fills on the next sync."
        if self.outcome == "migrated":
            if self.backup_path is None:  # only derived data changed (migrations.WITHOUT_BACKUP)
                return "The offline cache was upgraded."
            return f"The offline cache was upgraded (a copy of the old one is at {self.backup_path})."
        parts = [
            f"The offline cache was damaged ({self.problem}) and has been rebuilt; it fills again on the next sync.",
            f"The damaged file was kept as {self.moved_to}.",
        ]
        if self.salvaged_outbox or self.salvaged_acked:
            parts.append(
                f"{self.salvaged_outbox} unsent change(s) were recovered and will be sent again; "
                f"a copy of what could be read is in {self.export_path}."
            )
        if self.salvage_errors:
            parts.append(
                f"Some of it could not be read ({len(self.salvage_errors)} problem(s)); "
                f"see {self.export_path}."
            )
        return " ".join(parts)


def recovery_marker_path(db_path: Path) -> Path:
    """Where a failed background check leaves the problem for the next `open_cache` to act on."""
    return db_path.with_name(db_path.name + ".recover")


def schedule_recovery(db_path: Path, problem: str) -> Path:
    """Ask the next `open_cache` of `db_path` to recover the file (written atomically)."""
    marker = recovery_marker_path(db_path)
    temp = marker.with_name(marker.name + ".tmp")
    body = {"problem": problem, "found_at": datetime.now(UTC).isoformat()}
    temp.write_text(json.dumps(body), encoding="utf-8")
    os.replace(temp, marker)
    return marker


def _scheduled_problem(db_path: Path) -> str | None:
    """The problem a recovery marker records, or None without one (an unreadable marker still counts)."""
    marker = recovery_marker_path(db_path)
    try:
        body = json.loads(marker.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return "the last integrity check found damage"
    problem = body.get("problem") if isinstance(body, dict) else None
    return str(problem) if problem else "the last integrity check found damage"


def _tables_to_check(conn: Any, check: Check) -> list[str | None]:
    if check == "full":
        return [None]
    present = {
        str(name)
        for name in conn.exec_driver_sql("SELECT name FROM sqlite_schema WHERE type = 'table'").scalars()
    }
    return [table for table in CRITICAL_TABLES if table == "sqlite_schema" or table in present]


def _check(cache: Cache, check: Check) -> None:
    """Raise `_Damaged` unless the file reads and passes `PRAGMA quick_check` (of the whole file,
    or of each critical table)."""
    results: list[str] = []
    try:
        with cache.writer.transaction() as conn:
            for table in _tables_to_check(conn, check):
                pragma = "PRAGMA quick_check" if table is None else f"PRAGMA quick_check({table})"
                results += [str(r) for r in conn.exec_driver_sql(pragma).scalars() if str(r) != "ok"]
    except DBAPIError as exc:
        raise _Damaged(f"the file could not be read: {exc.orig}") from exc
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
    scheduled = _scheduled_problem(path)
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


@dataclass(frozen=True)
class CheckResult:
    """What `IntegrityCheck.run` found; `marker` is set when a recovery was scheduled."""

    outcome: CheckOutcome
    problem: str | None = None
    marker: Path | None = None

    def message(self) -> str:
        """In words for the user (empty when there is nothing to tell)."""
        if self.outcome == "damaged":
            return (
                f"The offline cache is damaged ({self.problem}). Your unsent changes are safe; "
                "restart Liaison Desk to repair the cache (it is rebuilt and fills again on the next sync)."
            )
        if self.outcome == "failed":
            return f"The offline cache could not be checked ({self.problem}); it is checked again at the next start."
        return ""


def _damage_code(exc: BaseException) -> bool:
    """Whether a driver error says the file is damaged (both drivers name SQLite's result code)."""
    name = getattr(exc, "sqlite_errorname", None)
    if isinstance(name, str):
        return name in _DAMAGE_CODES
    text = str(exc).lower()
    return "malformed" in text or "not a database" in text


class IntegrityCheck:
    """The whole-file `PRAGMA quick_check` that `open_cache(check="critical")` leaves for later.

    `run()` (on a worker thread) opens its own read-only connection, so it reads one WAL snapshot
    and never blocks the writer; SQLite keeps the WAL from being checkpointed past that snapshot
    while it runs, which is why `cancel()` must come before the cache is closed. On damage it
    schedules the recovery for the next start (`schedule_recovery`). `cancel()` may be called from
    any thread at any time: the progress handler stops a statement that is about to start or
    between steps, `interrupt()` one inside SQLite's check.
    """

    #: SQLite virtual-machine steps between calls of the progress handler
    PROGRESS_STEPS: Final = 100

    def __init__(self, path: Path, key: str | None) -> None:
        self.path = path
        self._key = key
        self._cancelled = threading.Event()
        self._lock = threading.Lock()
        self._driver: Any = None

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def cancel(self) -> None:
        """Stop the check (idempotent; returns at once: `run` then ends with "cancelled")."""
        self._cancelled.set()
        with self._lock:
            if self._driver is not None:
                self._driver.interrupt()

    def _progress(self) -> bool:
        """SQLite's progress callback: a true value stops the running statement."""
        return self._cancelled.is_set()

    def run(self) -> CheckResult:
        """Check the whole file; blocking. Never raises for what the file holds."""
        if self.cancelled:
            return CheckResult("cancelled")
        engine = make_engine(self.path, self._key, read_only=True)
        try:
            return self._run(engine.raw_connection())
        except DBAPIError as exc:
            return self._failure(exc.orig if exc.orig is not None else exc)
        finally:
            engine.dispose()

    def _run(self, raw: Any) -> CheckResult:
        driver = raw.driver_connection
        with self._lock:
            self._driver = driver
        try:
            driver.set_progress_handler(self._progress, self.PROGRESS_STEPS)
            cursor = driver.cursor()
            try:
                rows = [str(row[0]) for row in cursor.execute("PRAGMA quick_check").fetchall()]
            finally:
                cursor.close()
        except Exception as exc:
            return self._failure(exc)
        finally:
            with self._lock:
                self._driver = None
            raw.close()
        problems = [row for row in rows if row != "ok"]
        if not problems:
            log.info("background integrity check of %s: ok", self.path.name)
            return CheckResult("ok")
        return self._damaged("integrity check failed: " + "; ".join(problems[:5]))

    def _failure(self, exc: BaseException) -> CheckResult:
        if self.cancelled:
            log.info("background integrity check of %s cancelled", self.path.name)
            return CheckResult("cancelled")
        if _damage_code(exc):
            return self._damaged(f"the file could not be read: {exc}")
        log.warning("background integrity check of %s could not run: %s", self.path.name, exc)
        return CheckResult("failed", problem=str(exc))

    def _damaged(self, problem: str) -> CheckResult:
        marker = schedule_recovery(self.path, problem)
        log.warning(
            "background integrity check of %s: %s; recovery at the next start", self.path.name, problem
        )
        return CheckResult("damaged", problem=problem, marker=marker)
