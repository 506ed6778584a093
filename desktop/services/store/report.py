"""What opening the cache found, for the UI (`StartupReport`), and how much of the file was checked.

Imports no SQLAlchemy: the window's quick open (`quick_open`) reports with it too.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Outcome = Literal["opened", "created", "migrated", "recovered"]
#: how much of the file `open_cache` checks before handing the cache over
Check = Literal["full", "critical"]


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
