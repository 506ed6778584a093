"""Deterministic ids and timestamps for seeded rows, made fast enough for millions of rows."""

import random
from datetime import UTC, datetime, timedelta
from typing import Final

_VERSION_MASK: Final = ~(0xF000 << 64) & ~(0xC000 << 48)
_VERSION_BITS: Final = (0x4000 << 64) | (0x8000 << 48)
DAY: Final = 86400.0
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


class IdSource:
    """Version-4 UUID strings drawn from a seeded generator.

    Equal to `str(uuid.UUID(int=rng.getrandbits(128), version=4))`, about four times faster.
    """

    def __init__(self, rng: random.Random) -> None:
        self._bits = rng.getrandbits

    def __call__(self) -> str:
        h = "%032x" % ((self._bits(128) & _VERSION_MASK) | _VERSION_BITS)
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class Clock:
    """Seconds since the Unix epoch (UTC) formatted as the database stores timestamps.

    SQLite stores naive UTC text (`YYYY-MM-DD HH:MM:SS.ffffff`, what `server.db.types.Timestamp`
    writes); PostgreSQL's COPY gets the same text with a `+00` offset (`suffix`).
    """

    def __init__(self, now: datetime, *, suffix: str = "") -> None:
        aware = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
        self.now = (aware.astimezone(UTC) - _EPOCH).total_seconds()
        self.suffix = suffix
        self._dates: dict[int, str] = {}

    def _date(self, day: int) -> str:
        text = self._dates.get(day)
        if text is None:
            text = (_EPOCH + timedelta(days=day)).strftime("%Y-%m-%d")
            self._dates[day] = text
        return text

    def fmt(self, ts: float) -> str:
        day = int(ts // DAY)
        rem = ts - day * DAY
        sec = int(rem)
        micro = int((rem - sec) * 1_000_000)
        hour, rest = divmod(sec, 3600)
        minute, second = divmod(rest, 60)
        return f"{self._date(day)} {hour:02d}:{minute:02d}:{second:02d}.{micro:06d}{self.suffix}"

    def iso(self, ts: float) -> str:
        """An ISO 8601 string with offset (for rows written through SQLAlchemy Core)."""
        return (_EPOCH + timedelta(seconds=ts)).isoformat()
