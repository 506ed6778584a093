"""The integrity of the cache file: the checks at open and in the background, and the recovery
they schedule. Imports no SQLAlchemy (every check runs on a driver connection).

- `check_problems(conn, check)`: `PRAGMA quick_check` of the whole file ("full") or of each
  critical table ("critical", `CRITICAL_TABLES`: a few ms whatever the file's size), plus reading
  the schema; `open_cache` and `quick_open.open_quickly` run it before handing the cache over;
- `IntegrityCheck`: the whole-file check that a "critical" open leaves for later, on its own
  read-only connection on a worker thread, cancellable. When it finds damage it writes a recovery
  marker beside the file (`cache.db.recover`, `schedule_recovery`) rather than swapping the file
  under a running session; the next open of that file, at either depth, runs the recovery before
  anything else (`scheduled_problem`).
"""

import json
import logging
import os
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, Literal

from desktop.services.store.connect import RawConnection, connect
from desktop.services.store.report import Check

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


def scheduled_problem(db_path: Path) -> str | None:
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


def _tables_to_check(conn: RawConnection, check: Check) -> list[str | None]:
    if check == "full":
        return [None]
    present = {str(row[0]) for row in conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")}
    return [table for table in CRITICAL_TABLES if table == "sqlite_schema" or table in present]


def check_problems(conn: RawConnection, check: Check) -> list[str]:
    """What `PRAGMA quick_check` finds wrong (of the whole file, or of each critical table): empty
    when the file is sound. The driver's error when the file cannot be read at all."""
    problems: list[str] = []
    for table in _tables_to_check(conn, check):
        pragma = "PRAGMA quick_check" if table is None else f"PRAGMA quick_check({table})"
        problems += [str(row[0]) for row in conn.execute(pragma) if str(row[0]) != "ok"]
    return problems


def damage_code(exc: BaseException) -> bool:
    """Whether a driver error says the file is damaged (both drivers name SQLite's result code)."""
    name = getattr(exc, "sqlite_errorname", None)
    if isinstance(name, str):
        return name in _DAMAGE_CODES
    text = str(exc).lower()
    return "malformed" in text or "not a database" in text


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
        try:
            driver = connect(self.path, self._key, read_only=True)
        except Exception as exc:
            return self._failure(exc)
        return self._run(driver)

    def _run(self, driver: Any) -> CheckResult:
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
            driver.close()
        problems = [row for row in rows if row != "ok"]
        if not problems:
            log.info("background integrity check of %s: ok", self.path.name)
            return CheckResult("ok")
        return self._damaged("integrity check failed: " + "; ".join(problems[:5]))

    def _failure(self, exc: BaseException) -> CheckResult:
        if self.cancelled:
            log.info("background integrity check of %s cancelled", self.path.name)
            return CheckResult("cancelled")
        if damage_code(exc):
            return self._damaged(f"the file could not be read: {exc}")
        log.warning("background integrity check of %s could not run: %s", self.path.name, exc)
        return CheckResult("failed", problem=str(exc))

    def _damaged(self, problem: str) -> CheckResult:
        marker = schedule_recovery(self.path, problem)
        log.warning(
            "background integrity check of %s: %s; recovery at the next start", self.path.name, problem
        )
        return CheckResult("damaged", problem=problem, marker=marker)
