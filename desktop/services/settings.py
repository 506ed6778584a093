"""Where the desktop keeps its files: per-OS paths from platformdirs, or one `--profile DIR`; and
the server URL IT may preset in a settings file.

A profile directory overrides every path, so tests and the demo never touch the user's real
profile (the habit of qutebrowser's `--basedir`).

IT presets the server URL in an INI file (the installers write it; see docs/installers.md):

    [server]
    url = https://crm.example.com

read from the user's config directory first, then the machine-wide one (platformdirs'
`user_config_dir` and `site_config_dir`); under `--profile DIR` only `DIR/settings.ini` is read.
It is a default: `--server` and the server of the last sign-in come before it.
"""

import configparser
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import platformdirs

APP_NAME = "LiaisonDesk"
APP_AUTHOR = "Liaison"
#: the IT preset file's name, in each config directory
SETTINGS_FILE: Final = "settings.ini"
SERVER_SECTION: Final = "server"
SERVER_URL_KEY: Final = "url"

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Paths:
    """The directories the desktop writes to, and the preset files it reads (first one wins)."""

    data_dir: Path
    cache_dir: Path
    log_dir: Path
    settings_files: tuple[Path, ...] = ()

    def ensure(self) -> "Paths":
        """Create every directory (and its parents) if it is missing; return self."""
        for directory in (self.data_dir, self.cache_dir, self.log_dir):
            directory.mkdir(parents=True, exist_ok=True)
        return self


def resolve_paths(profile: Path | None = None) -> Paths:
    """The desktop's directories: under `profile` when given, else the OS's usual places."""
    if profile is not None:
        root = profile.expanduser().resolve()
        return Paths(
            data_dir=root / "data",
            cache_dir=root / "cache",
            log_dir=root / "log",
            settings_files=(root / SETTINGS_FILE,),
        )
    return Paths(
        data_dir=Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR)),
        cache_dir=Path(platformdirs.user_cache_dir(APP_NAME, APP_AUTHOR)),
        log_dir=Path(platformdirs.user_log_dir(APP_NAME, APP_AUTHOR)),
        settings_files=(
            Path(platformdirs.user_config_dir(APP_NAME, APP_AUTHOR)) / SETTINGS_FILE,
            Path(platformdirs.site_config_dir(APP_NAME, APP_AUTHOR)) / SETTINGS_FILE,
        ),
    )


def preset_server_url(paths: Paths) -> str | None:
    """The server URL of the first preset file that names one, or None.

    An unreadable or malformed file is logged and skipped (a broken preset must not stop the
    desktop from starting: the sign-in dialog still asks for the server)."""
    for path in paths.settings_files:
        parser = configparser.ConfigParser(interpolation=None)
        try:
            if not parser.read(path, encoding="utf-8"):
                continue
        except (OSError, UnicodeDecodeError, configparser.Error) as exc:
            log.warning("preset file %s skipped: %s", path, type(exc).__name__)
            continue
        url = parser.get(SERVER_SECTION, SERVER_URL_KEY, fallback="").strip()
        if url.startswith(("http://", "https://")):
            return url
        if url:
            log.warning("preset file %s: the server URL is not http(s); ignored", path)
    return None
