"""Opening the cache at startup: key check, integrity check, migrations, recovery of a damaged file.

`open_cache(path, key)` returns the open `Cache` and a `StartupReport` for the UI. A wrong or
missing key raises `CacheKeyError` and leaves the file alone (see `keycheck.py`). A file that
cannot be read or fails `PRAGMA quick_check` is moved aside (`cache.db.corrupt-<timestamp>`, with
its -wal/-shm), what can be read of its outbox and acked log is exported to JSON beside it, a
fresh cache is created and the salvaged outbox entries are queued again as pending.
"""

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from sqlalchemy.exc import DBAPIError

from desktop.services.store.database import Cache
from desktop.services.store.keycheck import verify_key, write_key_check
from desktop.services.store.migrations import migrate
from desktop.services.store.salvage import Salvage, read_damaged, reimport, write_export

Outcome = Literal["opened", "created", "migrated", "recovered"]


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


def _check(cache: Cache) -> None:
    """Raise `_Damaged` unless the file reads and passes `PRAGMA quick_check`."""
    try:
        with cache.writer.transaction() as conn:
            results = [str(r) for r in conn.exec_driver_sql("PRAGMA quick_check").scalars()]
    except DBAPIError as exc:
        raise _Damaged(f"the file could not be read: {exc.orig}") from exc
    if results != ["ok"]:
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


def open_cache(path: Path, key: str | None) -> tuple[Cache, StartupReport]:
    """Open (creating, migrating or recovering as needed) the cache at `path`.

    `key`: the profile's SQLCipher key (64 hex digits), None for a plain SQLite file (tests).
    Raises `CacheKeyError` for a wrong or missing key, `CacheError` for a cache from a newer build.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    key_status = verify_key(path, key)
    try:
        cache = Cache(path, key)
    except DBAPIError as exc:
        return _recover(path, key, f"the file could not be read: {exc.orig}")
    try:
        _check(cache)
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
    report = StartupReport(path, outcome, result.before, result.after, backup_path=result.backup)
    return cache, report


def _recover(path: Path, key: str | None, problem: str) -> tuple[Cache, StartupReport]:
    moved = _move_aside(path)
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
