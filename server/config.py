"""Server settings: one frozen value, built from arguments or from `LIAISON_*` environment variables.

`liaison-server serve` passes its settings to uvicorn worker processes through the environment
(`to_env()`), and `create_app()` without arguments reads them back (`from_env()`).
"""

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

ENV_PREFIX: Final = "LIAISON_"
_TRUE: Final = frozenset({"1", "true", "yes", "on"})
_FALSE: Final = frozenset({"0", "false", "no", "off", ""})


def default_database_url() -> str:
    """`LIAISON_DATABASE_URL`, else a SQLite file in the per-user data directory."""
    url = os.environ.get(ENV_PREFIX + "DATABASE_URL")
    if url:
        return url
    from platformdirs import user_data_dir

    return f"sqlite:///{Path(user_data_dir('liaison-server')) / 'server.db'}"


@dataclass(frozen=True, slots=True)
class ServerSettings:
    database_url: str
    host: str = "127.0.0.1"
    port: int = 8765
    workers: int = 1
    access_token_ttl_s: int = 900
    refresh_token_ttl_days: int = 30
    retention_days: int = 180
    default_region: str = "GB"
    max_body_bytes: int = 1_048_576
    login_window_s: int = 900
    login_max_failures_per_user: int = 5
    login_max_failures_per_address: int = 20
    allow_demo_passwords: bool = False
    #: the contact centre's time zone (IANA name): where "today" of the queue metrics starts
    time_zone: str = "UTC"

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{ENV_PREFIX}TIME_ZONE: not a known time zone: {self.time_zone!r}") from None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "ServerSettings":
        """Settings from `LIAISON_<FIELD>` variables; unset ones keep their defaults."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            raw = env.get(ENV_PREFIX + f.name.upper())
            if raw is None:
                continue
            values[f.name] = _parse(f.name, f.type, raw)
        values.setdefault("database_url", default_database_url())
        return cls(**values)

    def to_env(self) -> dict[str, str]:
        """The `LIAISON_*` variables that make `from_env()` return these settings."""
        out: dict[str, str] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            text = ("1" if value else "0") if isinstance(value, bool) else str(value)
            out[ENV_PREFIX + f.name.upper()] = text
        return out


def _parse(name: str, kind: object, raw: str) -> object:
    if kind in (bool, "bool"):
        lowered = raw.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ValueError(f"{ENV_PREFIX}{name.upper()}: expected a boolean, got {raw!r}")
    if kind in (int, "int"):
        try:
            return int(raw)
        except ValueError:
            raise ValueError(f"{ENV_PREFIX}{name.upper()}: expected an integer, got {raw!r}") from None
    return raw
