"""Where the desktop keeps its files: per-OS paths from platformdirs, or one `--profile DIR`.

A profile directory overrides every path, so tests and the demo never touch the user's real
profile (the habit of qutebrowser's `--basedir`).
"""

from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "LiaisonDesk"
APP_AUTHOR = "Liaison"


@dataclass(frozen=True, slots=True)
class Paths:
    """The directories the desktop writes to."""

    data_dir: Path
    cache_dir: Path
    log_dir: Path

    def ensure(self) -> "Paths":
        """Create every directory (and its parents) if it is missing; return self."""
        for directory in (self.data_dir, self.cache_dir, self.log_dir):
            directory.mkdir(parents=True, exist_ok=True)
        return self


def resolve_paths(profile: Path | None = None) -> Paths:
    """The desktop's directories: under `profile` when given, else the OS's usual places."""
    if profile is not None:
        root = profile.expanduser().resolve()
        return Paths(data_dir=root / "data", cache_dir=root / "cache", log_dir=root / "log")
    return Paths(
        data_dir=Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR)),
        cache_dir=Path(platformdirs.user_cache_dir(APP_NAME, APP_AUTHOR)),
        log_dir=Path(platformdirs.user_log_dir(APP_NAME, APP_AUTHOR)),
    )
